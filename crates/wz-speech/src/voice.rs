//! Voice activity, from the earshot detector (pure Rust, any language):
//! one score in [0, 1] per 16 ms of audio, voiced at 0.5 or more (the
//! crate's suggested threshold).

use crate::Recording;

/// Samples per detector frame (16 ms at 16 kHz).
const FRAME_SAMPLES: usize = 256;
/// Milliseconds per detector frame.
pub const FRAME_MS: u32 = 16;
/// Score from which a frame counts as voiced.
const VOICED: f32 = 0.5;

/// Voice scores of a recording, one per 16 ms.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceTrack {
    scores: Vec<f32>,
}

impl VoiceTrack {
    /// Runs the detector over `recording` (a trailing partial frame is
    /// padded with silence).
    pub fn of(recording: &Recording) -> Self {
        let mut detector = Box::new(earshot::Detector::default());
        let scores = recording
            .samples()
            .chunks(FRAME_SAMPLES)
            .map(|chunk| {
                let mut frame = [0.0f32; FRAME_SAMPLES];
                frame[..chunk.len()].copy_from_slice(chunk);
                detector.predict_f32(&frame)
            })
            .collect();
        Self { scores }
    }

    /// Builds a track from scores (tests).
    pub fn from_scores(scores: Vec<f32>) -> Self {
        Self { scores }
    }

    /// Milliseconds judged voiced.
    pub fn voiced_ms(&self) -> u32 {
        self.scores.iter().filter(|&&s| s >= VOICED).count() as u32 * FRAME_MS
    }

    /// Milliseconds judged voiced within `[from_ms, to_ms)`.
    pub fn voiced_ms_between(&self, from_ms: u32, to_ms: u32) -> u32 {
        let (from, to) = ((from_ms / FRAME_MS) as usize, to_ms.div_ceil(FRAME_MS) as usize);
        self.scores.iter().take(to).skip(from).filter(|&&s| s >= VOICED).count() as u32 * FRAME_MS
    }

    /// Whether the voice is heard at `ms` (the detector frame holding it).
    pub fn voiced_at(&self, ms: u32) -> bool {
        self.scores.get((ms / FRAME_MS) as usize).is_some_and(|&s| s >= VOICED)
    }
}
