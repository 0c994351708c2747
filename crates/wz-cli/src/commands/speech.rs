//! `wz speech digits DIR`: the spoken-digit check on a folder of 16 kHz
//! WAV recordings. A file whose name ends in `_` and digits
//! (`en-us_140_4719.wav`) is expected to say those digits; the others are
//! expected to say none. Prints, per file, the voiced time (earshot), the
//! transcript (Whisper tiny.en) and the digits read from it, then per voice
//! (the name up to its first `_`) how many challenges were heard right,
//! with exact 95 % intervals, and the time per transcript.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use wz_face::Rate;
use wz_speech::{spoken_digits, Recording, VoiceTrack, Whisper};

use super::face::{quantile, shown};

/// Default model folder (filled by `scripts/fetch-models`).
pub const DEFAULT_MODEL: &str = "models/whisper-tiny.en";

/// `wz speech …`
#[derive(Debug, Subcommand)]
pub enum SpeechCommand {
    /// The spoken-digit check on a folder of 16 kHz mono WAV files
    /// (`tools/speech-reference/make_audio.py --set N DIR` makes one).
    Digits {
        /// Folder of `.wav` files.
        folder: PathBuf,
        /// Whisper model folder.
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
    },
}

pub fn run(command: &SpeechCommand) -> anyhow::Result<ExitCode> {
    match command {
        SpeechCommand::Digits { folder, model } => digits(folder, model),
    }
}

/// The digits a file name promises: what follows its last `_`, if digits.
fn expected_digits(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    match stem.rsplit_once('_') {
        Some((_, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => tail.to_owned(),
        _ => String::new(),
    }
}

fn digits(folder: &Path, model: &Path) -> anyhow::Result<ExitCode> {
    let whisper = Whisper::load(model)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("reading {}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "wav"))
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no .wav files in {}", folder.display());
    let mut by_voice: BTreeMap<String, Rate> = BTreeMap::new();
    let mut seconds = Vec::new();
    println!("file\tvoiced_ms\texpected\theard\ttranscript");
    for path in &files {
        let recording = Recording::from_wav(&std::fs::read(path)?).with_context(|| path.display().to_string())?;
        let voiced = VoiceTrack::of(&recording).voiced_ms();
        let started = Instant::now();
        let transcript = whisper.transcribe(&recording)?;
        seconds.push(started.elapsed().as_secs_f32());
        let (expected, heard) = (expected_digits(path), spoken_digits(&transcript.text));
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        println!("{name}\t{voiced}\t{expected}\t{heard}\t{}", transcript.text.trim());
        let voice = name.split('_').next().unwrap_or_default().to_owned();
        let rate = by_voice.entry(voice).or_insert(Rate { count: 0, total: 0 });
        rate.total += 1;
        rate.count += usize::from(heard == expected);
    }
    println!();
    println!("heard exactly as expected, per voice:");
    for (voice, rate) in &by_voice {
        println!("  {voice:<12} {}", shown(rate));
    }
    seconds.sort_by(f32::total_cmp);
    println!(
        "transcript time (this machine, all cores): median {:.2} s, 90th percentile {:.2} s over {} files",
        quantile(&seconds, 0.5),
        quantile(&seconds, 0.9),
        seconds.len()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::expected_digits;
    use std::path::Path;

    #[test]
    fn the_file_name_says_the_digits() {
        assert_eq!(expected_digits(Path::new("a/en-us_140_4719.wav")), "4719");
        assert_eq!(expected_digits(Path::new("silence.wav")), "");
        assert_eq!(expected_digits(Path::new("en_us_words.wav")), "");
    }
}
