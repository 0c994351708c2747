//! Authentication sessions on the wire: the relying party opens one (or a
//! multi-party transaction), watches it (long-poll, server-sent events,
//! webhook), the wallet scans, consents or declines, and completes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AuthenticationResponse;

/// Opens a service-window session (HTTP Basic as the RP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSessionRequest {
    /// `credential`, `portrait_credential` or `portrait_credential_pin`.
    pub mode: String,
    /// Shown to the citizen (1–200 characters).
    pub purpose: String,
    /// Attributes wanted in full.
    #[serde(default)]
    pub attributes: Vec<String>,
    /// Lifetime, 10–120 seconds (default 120).
    #[serde(default)]
    pub expires_in_seconds: Option<u32>,
}

/// A new session: draw `WZS1:<id>:<unix second>:<mac>` every second with
/// the secret (docs/relying-parties.md), or show `frame` first.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedSession {
    /// Session id.
    pub session_id: String,
    /// Frame secret, hex (keep it on the RP server).
    pub secret: String,
    /// The frame for the current second.
    pub frame: String,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for CreatedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedSession")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

/// A session as its RP sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionStatus {
    /// Session id.
    pub session_id: String,
    /// `created`, `scanned`, `consented`, `completed`, `declined`, `expired`, `cancelled`.
    pub state: String,
    /// Mode.
    pub mode: String,
    /// Purpose.
    pub purpose: String,
    /// The transaction it belongs to.
    pub transaction_id: Option<String>,
    /// The participant's label.
    pub label: Option<String>,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
    /// The signed result once completed.
    pub result: Option<AuthenticationResponse>,
}

/// Opens a multi-party transaction (HTTP Basic as the RP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTransactionRequest {
    /// A wallet mode.
    pub mode: String,
    /// Shown to every participant.
    pub purpose: String,
    /// Attributes wanted in full.
    #[serde(default)]
    pub attributes: Vec<String>,
    /// Lifetime, up to 86,400 seconds (default 86,400).
    #[serde(default)]
    pub expires_in_seconds: Option<u32>,
    /// The RP's labels of the participants, e.g. `["股东甲", "股东乙"]`.
    pub participants: Vec<String>,
}

/// One participant's invitation: deliver `invitation` through your own
/// channel (a link); the participant opens it in the wallet.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Invitation {
    /// The RP's label.
    pub label: String,
    /// Session id.
    pub session_id: String,
    /// `WZI1:<session id>:<secret>`.
    pub invitation: String,
}

impl std::fmt::Debug for Invitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitation")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

/// A new transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedTransaction {
    /// Transaction id.
    pub transaction_id: String,
    /// One per participant, in the order given.
    pub participants: Vec<Invitation>,
}

/// A transaction and each participant's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TransactionStatus {
    /// Transaction id.
    pub transaction_id: String,
    /// `pending` until every participant finished; then `completed` when
    /// all succeeded, else `failed`.
    pub state: String,
    /// Participants.
    pub participants: Vec<SessionStatus>,
}

/// The wallet scanned a frame or opened an invitation (signed by the wallet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanSessionRequest {
    /// `WZS1:…` or `WZI1:…`.
    pub payload: String,
}

/// What the wallet shows before the citizen decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScannedSessionResponse {
    /// Session id.
    pub session_id: String,
    /// Who asks.
    pub rp_id: String,
    /// Its registered name.
    pub rp_name: String,
    /// Its category.
    pub rp_category: String,
    /// Why.
    pub purpose: String,
    /// Mode (what the citizen will do).
    pub mode: String,
    /// Attributes asked for in full.
    pub attributes: Vec<String>,
    /// Of those, the ones the RP's grant allows (released on consent);
    /// the others are shown desensitised.
    pub released: Vec<String>,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
}

/// The wallet's proof that completes a session (signed by the wallet).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteSessionRequest {
    /// A fresh wallet code `WZQR1:…`.
    pub code: String,
    /// Live portrait, standard base64 (portrait modes): one picture, not
    /// checked for liveness. `live` instead proves a person is there.
    #[serde(default)]
    pub portrait: Option<String>,
    /// A face sequence answering a liveness challenge (portrait modes;
    /// `POST /v1/liveness/challenges`), the digits read aloud with
    /// it: the result then says `liveness`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<crate::LiveSequence>,
    /// The 8-digit card password (`portrait_credential_pin`).
    #[serde(default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for CompleteSessionRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompleteSessionRequest(<personal data>)")
    }
}
