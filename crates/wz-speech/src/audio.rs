//! The audio a client sends with its frames: 16 kHz mono 16-bit PCM WAV,
//! the rate the voice detector and the recogniser work at. Clients
//! resample (a browser's `OfflineAudioContext` does); the server does not,
//! so what it checks is exactly what was sent.

use crate::SpeechError;

/// The one sample rate accepted.
pub const SAMPLE_RATE: u32 = 16_000;
/// Shortest audio accepted, milliseconds (a few digits take longer).
pub const MIN_AUDIO_MS: u32 = 500;
/// Longest audio accepted, milliseconds (a challenge lasts less).
pub const MAX_AUDIO_MS: u32 = 20_000;

/// Decoded audio, samples in [-1, 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    samples: Vec<f32>,
}

impl Recording {
    /// Parses a WAV file; refuses any other format or a duration outside
    /// [`MIN_AUDIO_MS`]..=[`MAX_AUDIO_MS`].
    pub fn from_wav(bytes: &[u8]) -> Result<Self, SpeechError> {
        let reader = hound::WavReader::new(std::io::Cursor::new(bytes)).map_err(|_| SpeechError::NotWav)?;
        let spec = reader.spec();
        if spec.sample_rate != SAMPLE_RATE
            || spec.channels != 1
            || spec.bits_per_sample != 16
            || spec.sample_format != hound::SampleFormat::Int
        {
            return Err(SpeechError::Format);
        }
        // The header's length is checked before any sample is read.
        if u64::from(reader.duration()) > u64::from(MAX_AUDIO_MS) * u64::from(SAMPLE_RATE) / 1000 {
            return Err(SpeechError::Duration);
        }
        let samples = reader
            .into_samples::<i16>()
            .map(|sample| sample.map(|s| f32::from(s) / 32768.0))
            .collect::<Result<Vec<f32>, _>>()
            .map_err(|_| SpeechError::NotWav)?;
        Self::from_samples(samples)
    }

    /// Wraps 16 kHz samples; same duration limits as [`Recording::from_wav`].
    pub fn from_samples(samples: Vec<f32>) -> Result<Self, SpeechError> {
        let recording = Self { samples };
        if !(MIN_AUDIO_MS..=MAX_AUDIO_MS).contains(&recording.duration_ms()) {
            return Err(SpeechError::Duration);
        }
        Ok(recording)
    }

    /// The samples.
    pub fn samples(&self) -> &[f32] {
        &self.samples
    }

    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> u32 {
        u32::try_from(self.samples.len() as u64 * 1000 / u64::from(SAMPLE_RATE)).unwrap_or(u32::MAX)
    }

    /// Encodes as the accepted WAV format (for clients and tests).
    pub fn to_wav(&self) -> Vec<u8> {
        encode_wav(&self.samples)
    }
}

/// 16 kHz mono 16-bit PCM WAV of `samples` (clamped to [-1, 1]).
pub fn encode_wav(samples: &[f32]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    // Writing to memory fails only on a length overflow, far beyond 20 s.
    if let Ok(mut writer) = hound::WavWriter::new(&mut bytes, spec) {
        for sample in samples {
            let _ = writer.write_sample((sample.clamp(-1.0, 1.0) * 32767.0) as i16);
        }
        let _ = writer.finalize();
    }
    bytes.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_formats() {
        let tone: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let wav = encode_wav(&tone);
        let recording = Recording::from_wav(&wav).unwrap();
        assert_eq!(recording.duration_ms(), 1000);
        assert!((recording.samples()[100] - tone[100]).abs() < 1e-4);

        let stereo = hound::WavSpec {
            channels: 2,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut bytes = std::io::Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut bytes, stereo).unwrap();
        for _ in 0..32_000 {
            writer.write_sample(0i16).unwrap();
        }
        writer.finalize().unwrap();
        assert!(matches!(Recording::from_wav(&bytes.into_inner()), Err(SpeechError::Format)));
        assert!(matches!(Recording::from_wav(b"RIFF....WAVEjunk"), Err(SpeechError::NotWav)));
        assert!(matches!(Recording::from_wav(&encode_wav(&[0.0; 4000])), Err(SpeechError::Duration)));
        assert!(matches!(
            Recording::from_wav(&encode_wav(&vec![0.0; 16 * 20_001])),
            Err(SpeechError::Duration)
        ));
    }
}
