//! Conversions between domain values and database columns, shared by the
//! backends so both encode and validate stored data the same way.

use time::OffsetDateTime;
use wz_core::IdentityStatus;

use crate::StoreError;

/// A timestamp as stored: Unix milliseconds.
pub fn millis(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// An identity status column.
pub fn status_column(text: &str) -> Result<IdentityStatus, StoreError> {
    IdentityStatus::parse(text).ok_or(StoreError::Corrupt("identity status"))
}

/// An audit hash column (32 bytes).
pub fn hash_column(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes.try_into().map_err(|_| StoreError::Corrupt("audit hash length"))
}

/// An audit sequence column (positive).
pub fn seq_column(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt("audit seq"))
}
