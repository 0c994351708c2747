//! Errors of the speech crate. None carries audio or what was said.

/// Why audio could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    /// Not a readable WAV file.
    #[error("the audio is not a WAV file")]
    NotWav,
    /// A WAV file in another format.
    #[error("the audio must be 16 kHz mono 16-bit PCM WAV")]
    Format,
    /// Shorter than [`crate::MIN_AUDIO_MS`] or longer than [`crate::MAX_AUDIO_MS`].
    #[error("the audio must last 0.5 to 20 seconds")]
    Duration,
    /// A model file missing, unreadable or not the pinned one.
    #[error("speech model file {file} is missing or not the pinned one ({reason}); run scripts/fetch-models")]
    Model {
        /// File name inside the model folder.
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The network failed to run.
    #[error("speech model failed: {0}")]
    Inference(#[from] candle_core::Error),
}
