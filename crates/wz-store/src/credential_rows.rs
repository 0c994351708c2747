//! Rows of the credential side of the store: issued credentials, card
//! passwords, trusted terminals, terminal enrolment sessions and single-use
//! nonces. None holds personal data: identities appear by lookup key,
//! holders by credential number.

use wz_core::{AssuranceLevel, AuditDraft, CredentialNumber, CredentialSerial, LookupKey, PasswordState};

/// Whether a credential can still be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialStatus {
    /// In force.
    Active,
    /// Revoked; `reason` is the result code a holder or verifier receives
    /// (`credential_replaced`, `credential_password_reset`,
    /// `card_reported_lost`, `card_cancelled`, `card_expired`,
    /// `credential_revoked`).
    Revoked {
        /// Result code text.
        reason: String,
        /// Unix milliseconds.
        at_ms: i64,
    },
}

/// An issued credential as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    /// Serial (primary key).
    pub serial: CredentialSerial,
    /// Holder's credential number.
    pub number: CredentialNumber,
    /// Holder's registry row.
    pub lookup: LookupKey,
    /// L3 or L4.
    pub level: AssuranceLevel,
    /// Device public key, SEC1 uncompressed.
    pub device_key: Vec<u8>,
    /// Unix milliseconds.
    pub issued_at_ms: i64,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
    /// Password epoch at issue.
    pub password_epoch: u32,
    /// Active or revoked.
    pub status: CredentialStatus,
    /// The signed credential as issued (wire bytes), so a wallet that lost
    /// the response of an enrolment can fetch it again.
    pub signed: Vec<u8>,
}

/// A new password state to write with an issuance, replacing the stored
/// one only if its epoch is still `expected_epoch` (`None`: no password yet).
#[derive(Debug, Clone)]
pub struct PasswordUpdate {
    /// The epoch the caller read.
    pub expected_epoch: Option<u32>,
    /// The state to write.
    pub state: PasswordState,
}

/// Everything one issuance writes, in one transaction: the new credential,
/// the revocation of the holder's active one, and optionally a new password
/// and the completion of a terminal enrolment.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// The credential (status must be `Active`).
    pub row: CredentialRow,
    /// Reason given to the credential it replaces (`credential_replaced`
    /// or `credential_password_reset`).
    pub replaces_reason: String,
    /// A new password, for terminal issuance and resets.
    pub password: Option<PasswordUpdate>,
    /// Terminal enrolment this issuance completes (must be bound).
    pub enrolment: Option<String>,
}

/// A registered trusted terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalRow {
    /// Public identifier, e.g. `t-3f2a…`.
    pub id: String,
    /// Where it stands, e.g. "Haidian service centre, window 3".
    pub name: String,
    /// SM2 public key, SEC1 uncompressed.
    pub public_key: Vec<u8>,
    /// False once retired.
    pub active: bool,
    /// Unix milliseconds.
    pub created_at_ms: i64,
}

/// Where a terminal enrolment session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolmentState {
    /// Showing its QR code; no wallet yet.
    Waiting,
    /// A wallet scanned the code and bound its device key.
    Bound,
    /// The credential was issued to that wallet.
    Completed,
    /// The terminal ended it without issuing (final).
    Cancelled,
}

impl EnrolmentState {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Bound => "bound",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses stored text.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Waiting, Self::Bound, Self::Completed, Self::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A terminal enrolment session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentRow {
    /// Random identifier (hex).
    pub id: String,
    /// The terminal that opened it.
    pub terminal_id: String,
    /// SM3 of the secret in the QR code (the code itself is not stored).
    pub secret_digest: [u8; 32],
    /// The wallet's device key once bound.
    pub device_key: Option<Vec<u8>>,
    /// Current state.
    pub state: EnrolmentState,
    /// The credential issued, once completed.
    pub credential_serial: Option<CredentialSerial>,
    /// Unix milliseconds.
    pub created_at_ms: i64,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
}

/// One use of a single-use code (a wallet QR code), to be recorded with its
/// audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceUse {
    /// What the nonce belongs to (`qr`, `liveness`, `request`).
    pub kind: &'static str,
    /// The nonce.
    pub nonce: [u8; 16],
    /// When the nonce could no longer be accepted anyway (purge after).
    pub expires_at_ms: i64,
    /// A credential that must still be active for the use to count
    /// (checked in the same transaction).
    pub credential: Option<CredentialSerial>,
}

/// The kinds of nonce whose expiry is covered by the signature or MAC that
/// carries the nonce (a wallet QR code's `issued_at`), so that a replay
/// can only come with the same expiry. The stores keep these keyed by
/// expiry first (decision 40): spending one writes beside the newest rows,
/// not on a random page. Every other kind (a liveness frame's expiry comes
/// from the server's clock) is keyed by the nonce alone. A kind must never
/// move between the two: its earlier uses would not be found.
pub const EXPIRY_SIGNED_KINDS: &[&str] = &["qr"];

impl NonceUse {
    /// Whether this nonce's kind is one of [`EXPIRY_SIGNED_KINDS`].
    pub fn expiry_signed(&self) -> bool {
        EXPIRY_SIGNED_KINDS.contains(&self.kind)
    }
}

/// What became of one recorded use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UseOutcome {
    /// First use: recorded.
    Fresh,
    /// The nonce was used before.
    Replayed,
    /// The credential is revoked; the reason code (nothing recorded).
    Revoked(String),
    /// The credential is not in the store (nothing recorded).
    UnknownCredential,
}

/// Builds the audit entry of a use once its outcome is known.
pub type UseAudit = dyn Fn(usize, &UseOutcome) -> AuditDraft + Send + Sync;
