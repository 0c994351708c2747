//! The port against the original runtime: CTranslate2 (faster-whisper
//! 1.2.1) on the same fetched model and the same 16 kHz recordings
//! (`tests/audio`, espeak-ng), greedy, float32. Expected values from
//! `tools/speech-reference/reference.py`. Needs `scripts/fetch-models`;
//! without the model the test fails and says so.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use std::path::{Path, PathBuf};

use wz_speech::{log_mel, spoken_digits, Recording, Whisper, MEL_BANDS};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn recording(name: &str) -> Recording {
    Recording::from_wav(&std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/audio").join(name)).unwrap()).unwrap()
}

#[test]
fn log_mel_features_match_faster_whisper() {
    for (name, expected) in reference().as_object().unwrap() {
        let (features, frames) = log_mel(recording(name).samples());
        assert_eq!(frames as u64, expected["mel_frames"].as_u64().unwrap(), "{name}");
        let sum: f64 = features.iter().map(|&v| f64::from(v)).sum();
        let want = expected["mel_sum"].as_f64().unwrap();
        assert!(
            (sum - want).abs() < 1e-4 * (MEL_BANDS * frames) as f64,
            "{name}: sum {sum} vs {want}"
        );
        for (band, want) in expected["mel_first"].as_array().unwrap().iter().enumerate() {
            let got = features[band * frames];
            assert!(
                (f64::from(got) - want.as_f64().unwrap()).abs() < 1e-4,
                "{name} band {band}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn tokens_match_ctranslate2_file_by_file() {
    let whisper = Whisper::load(&root().join("models/whisper-tiny.en")).unwrap_or_else(|e| panic!("{e} (run scripts/fetch-models first)"));
    for (name, expected) in reference().as_object().unwrap() {
        let transcript = whisper.transcribe(&recording(name)).unwrap();
        let want: Vec<u32> = expected["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(transcript.tokens, want, "{name}");
        assert_eq!(transcript.text, expected["text"].as_str().unwrap(), "{name}");
    }
    // What the digits rule makes of them: the English recordings read back
    // their digits; Mandarin is not recognised by an English-only model.
    let digits = |name: &str| spoken_digits(reference()[name]["text"].as_str().unwrap());
    assert_eq!(digits("en_us_4719.wav"), "4719");
    assert_eq!(digits("en_gb_2604.wav"), "2604");
    assert_eq!(digits("en_us_0385.wav"), "0385");
    assert_ne!(digits("cmn_4719.wav"), "4719");
}
