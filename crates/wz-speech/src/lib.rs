//! The spoken half of a liveness challenge (SPEC §6: "read the random
//! digits aloud"): the client records audio while it films, and the server
//! checks that a voice is heard ([`VoiceTrack`], the earshot detector),
//! that the mouth moves while it is heard ([`check_speech`]), and which
//! digits were said ([`Whisper`] tiny.en on candle, then
//! [`spoken_digits`]).
//!
//! Whisper tiny.en is English only: Mandarin digits are not recognised
//! (no registry package found ships a Mandarin-capable model's weights;
//! docs/face.md, "Spoken digits"). Synchronous and CPU-bound (a transcript
//! costs about a second of one core): callers run it on a blocking pool.
//! Must not depend on tokio, a store or HTTP.

#![warn(missing_docs)]

mod audio;
mod check;
mod ctranslate2;
mod digits;
mod error;
mod mel;
mod published;
mod tokens;
mod voice;
mod whisper;

pub use audio::{encode_wav, Recording, MAX_AUDIO_MS, MIN_AUDIO_MS, SAMPLE_RATE};
pub use check::{check_speech, measure_speech, FrameMouth, SpeechFailure, SpeechMeasures, MIN_VOICED_MS};
pub use digits::spoken_digits;
pub use error::SpeechError;
pub use mel::{log_mel, MEL_BANDS};
pub use published::{PublishedDigitRate, SpeechDataSet, PUBLISHED_DIGIT_RATES, SYNTHETIC_DIGITS};
pub use voice::{VoiceTrack, FRAME_MS};
pub use whisper::{Transcript, Whisper};
