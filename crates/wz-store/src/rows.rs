//! Rows the store reads and writes. The store never sees plaintext personal
//! data: registry records arrive sealed, keyed by their lookup key.

use wz_core::{CardSerial, IdentityStatus, LookupKey};

/// A registry row to insert.
#[derive(Debug, Clone)]
pub struct NewIdentity {
    /// HMAC-SM3 of the ID number.
    pub lookup: LookupKey,
    /// Current card serial (not personal data on its own; needed to refuse
    /// superseded and lost cards without opening the record).
    pub card_serial: CardSerial,
    /// Initial status.
    pub status: IdentityStatus,
    /// SM4-GCM sealed [`wz_core::IdentityRecord`] without its portrait.
    pub sealed: Vec<u8>,
    /// The portrait, sealed apart.
    pub sealed_portrait: Option<Vec<u8>>,
}

/// A whole-sealed row's two new parts, replacing `whole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResealedIdentity {
    /// The row.
    pub lookup: LookupKey,
    /// What the row held (compared before replacing).
    pub whole: Vec<u8>,
    /// The attributes part.
    pub sealed: Vec<u8>,
    /// The portrait part.
    pub sealed_portrait: Option<Vec<u8>>,
}

/// A registry row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRow {
    /// Lookup key.
    pub lookup: LookupKey,
    /// Current card serial.
    pub card_serial: CardSerial,
    /// Current status.
    pub status: IdentityStatus,
    /// Sealed record.
    pub sealed: Vec<u8>,
    /// Last change, Unix milliseconds.
    pub updated_at_ms: i64,
}

/// One status change in an identity's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusHistoryRow {
    /// Status before.
    pub from: IdentityStatus,
    /// Status after.
    pub to: IdentityStatus,
    /// Reason code.
    pub reason: String,
    /// When, Unix milliseconds.
    pub at_ms: i64,
}
