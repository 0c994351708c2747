//! The core crate's error enum.

use crate::{IdNumberError, IdentityStatus};

/// Errors raised by domain rules. `Display` never includes personal data.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CoreError {
    /// The ID number failed validation.
    #[error("invalid ID number: {0}")]
    InvalidIdNumber(#[from] IdNumberError),
    /// A status change that the lifecycle does not allow.
    #[error("status cannot change from {from} to {to}")]
    InvalidStatusTransition {
        /// Current status.
        from: IdentityStatus,
        /// Requested status.
        to: IdentityStatus,
    },
    /// A field of an identity record is missing or out of range.
    #[error("invalid identity record: {0}")]
    InvalidRecord(&'static str),
    /// A sealed registry record failed to open or decode.
    #[error("sealed registry record is corrupt or sealed under another key")]
    SealedRecordCorrupt,
    /// A cryptographic operation failed.
    #[error("cryptography: {0}")]
    Crypto(#[from] wz_crypto::CryptoError),
}
