//! The face crate's error enum.

/// What went wrong in face processing. Never carries image data.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    /// A model file does not match its recorded SHA-256.
    #[error("model file {0} does not match its SHA-256 sum")]
    ModelChecksum(String),
    /// A weights manifest or file is malformed.
    #[error("malformed model weights: {0}")]
    MalformedWeights(String),
    /// A tensor operation failed (shape mismatch, allocation).
    #[error("tensor operation failed")]
    Tensor(#[from] candle_core::Error),
    /// Two tensors that must agree in shape do not (a bug or corrupt weights).
    #[error("tensor shape mismatch: {0}")]
    ShapeMismatch(&'static str),
    /// Detector or pipeline options out of range.
    #[error("invalid options: {0}")]
    InvalidOptions(&'static str),
    /// The image has more than 16 megapixels, or would need more than
    /// 40 MiB to decode.
    #[error("image too large")]
    ImageTooLarge,
    /// The image is smaller than 32×32.
    #[error("image too small")]
    ImageTooSmall,
    /// The input is not a decodable image.
    #[error("not a decodable image")]
    InvalidImage,
}
