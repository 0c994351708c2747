//! The service error enum.

use wz_core::{CardVerificationError, CoreError, IdNumberError, IdentityStatus, ResultCode};
use wz_store::StoreError;

/// Why a use case failed, in domain terms. `Display` holds no personal data.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The ID number is invalid.
    #[error("invalid ID number: {0}")]
    InvalidIdNumber(#[from] IdNumberError),
    /// The identity record is inconsistent.
    #[error("invalid identity record: {0}")]
    InvalidRecord(&'static str),
    /// No such identity in the registry.
    #[error("identity not found")]
    IdentityNotFound,
    /// The identity is already registered.
    #[error("identity already registered")]
    IdentityExists,
    /// The lifecycle forbids this status change.
    #[error("status cannot change from {from} to {to}")]
    InvalidStatusTransition {
        /// Current status.
        from: IdentityStatus,
        /// Requested status.
        to: IdentityStatus,
    },
    /// The card failed verification before the registry was consulted.
    #[error("card refused: {0}")]
    Card(#[from] CardVerificationError),
    /// The card verified but the registry refuses it.
    #[error("card refused by the registry: {}", .0.as_str())]
    CardRefused(ResultCode),
    /// Only available in demo mode.
    #[error("only available in demo mode")]
    DemoModeRequired,
    /// A sealed record could not be opened: wrong key or corruption.
    #[error("registry record is corrupt or sealed under another key")]
    RecordCorrupt,
    /// The image could not be decoded or is out of bounds.
    #[error("invalid image: {0}")]
    InvalidImage(wz_face::FaceError),
    /// The face engine failed or its task was lost.
    #[error("face engine failed")]
    FaceEngine,
    /// The speech recogniser is missing, failed, or its task was lost.
    #[error("speech recogniser failed: {0}")]
    SpeechEngine(String),
    /// Storage failed.
    #[error("storage failed")]
    Store(#[source] StoreError),
    /// Refused for a reason its result code names exactly.
    #[error("refused: {}", .0.as_str())]
    Refused(ResultCode),
    /// Too many requests; try again after this many seconds.
    #[error("rate limited for {retry_after} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// An input is out of range.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// The use journal task failed or is gone.
    #[error("use journal unavailable")]
    Journal,
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AlreadyExists => Self::IdentityExists,
            StoreError::NotFound => Self::IdentityNotFound,
            other => Self::Store(other),
        }
    }
}

impl From<CoreError> for ServiceError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::InvalidIdNumber(e) => Self::InvalidIdNumber(e),
            CoreError::InvalidStatusTransition { from, to } => Self::InvalidStatusTransition { from, to },
            CoreError::InvalidRecord(what) => Self::InvalidRecord(what),
            CoreError::SealedRecordCorrupt | CoreError::Crypto(_) => Self::RecordCorrupt,
        }
    }
}

impl From<wz_face::FaceError> for ServiceError {
    fn from(error: wz_face::FaceError) -> Self {
        match error {
            wz_face::FaceError::InvalidImage | wz_face::FaceError::ImageTooLarge | wz_face::FaceError::ImageTooSmall => {
                Self::InvalidImage(error)
            }
            _ => Self::FaceEngine,
        }
    }
}

impl ServiceError {
    /// The stable result code reported for this error.
    pub fn result_code(&self) -> ResultCode {
        match self {
            Self::InvalidIdNumber(e) => (*e).into(),
            Self::InvalidRecord(_) => ResultCode::InvalidIdentityRecord,
            Self::IdentityNotFound => ResultCode::IdentityNotFound,
            Self::IdentityExists => ResultCode::IdentityExists,
            Self::InvalidStatusTransition { .. } => ResultCode::InvalidStatusTransition,
            Self::Card(e) => (*e).into(),
            Self::CardRefused(code) => *code,
            Self::DemoModeRequired => ResultCode::DemoModeRequired,
            Self::InvalidImage(_) => ResultCode::InvalidImage,
            Self::FaceEngine | Self::Journal => ResultCode::InternalError,
            // Most often the model folder is missing (`scripts/fetch-models`):
            // the operator's to fix, the citizen's to retry later.
            Self::SpeechEngine(_) => ResultCode::ServiceUnavailable,
            Self::Refused(code) => *code,
            Self::RateLimited { .. } => ResultCode::RateLimited,
            Self::InvalidInput(_) => ResultCode::InvalidRequest,
            Self::Store(StoreError::Conflict) => ResultCode::InvalidStatusTransition,
            Self::RecordCorrupt | Self::Store(_) => ResultCode::InternalError,
        }
    }
}
