//! The session half of the storage interface (issue #5): authentication
//! sessions (service window and remote multi-party invitations) and the
//! outbox of webhook deliveries written with their completion.

use async_trait::async_trait;
use wz_core::{AuditDraft, AuditEntry};

use crate::StoreError;

/// An authentication session as stored. No personal data: the result is
/// the signed statement the RP receives (pairwise subject, fields it is
/// entitled to), kept so it can be read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Session id (primary key).
    pub id: String,
    /// The relying party that opened it.
    pub rp_id: String,
    /// Mode.
    pub mode: String,
    /// Purpose shown to the citizen.
    pub purpose: String,
    /// Attributes asked for in full.
    pub attributes: Vec<String>,
    /// The multi-party transaction it belongs to, if any.
    pub transaction_id: Option<String>,
    /// The RP's label of the participant (multi-party).
    pub label: Option<String>,
    /// `created`, `scanned`, `consented`, `completed`, `declined`, `cancelled`.
    pub state: String,
    /// Rotating-frame secret (window sessions) or invitation secret.
    pub secret: [u8; 32],
    /// The wallet that scanned it, SEC1.
    pub device_key: Option<Vec<u8>>,
    /// The signed result as JSON, once completed.
    pub result: Option<String>,
    /// Unix milliseconds.
    pub created_at_ms: i64,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
    /// Unix milliseconds.
    pub updated_at_ms: i64,
}

/// A state change of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionChange {
    /// The state it must be in.
    pub from: String,
    /// The state it moves to.
    pub to: String,
    /// Binds the scanning wallet.
    pub device_key: Option<Vec<u8>>,
    /// The signed result.
    pub result: Option<String>,
    /// Unix milliseconds.
    pub at_ms: i64,
}

/// A webhook delivery waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRow {
    /// Idempotency key (primary key), e.g. `<session id>:completed`.
    pub id: String,
    /// The relying party.
    pub rp_id: String,
    /// Where to post.
    pub url: String,
    /// The JSON body.
    pub body: String,
    /// Attempts so far.
    pub attempts: u32,
    /// When to try next, Unix milliseconds.
    pub next_attempt_at_ms: i64,
    /// When delivered, Unix milliseconds.
    pub delivered_at_ms: Option<i64>,
}

/// Storage for sessions and webhook deliveries.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Opens sessions (one, or a transaction's participants) with one
    /// audit entry. [`StoreError::AlreadyExists`] if an id is taken.
    async fn insert_sessions(&self, rows: &[SessionRow], audit: AuditDraft) -> Result<AuditEntry, StoreError>;

    /// A session by id.
    async fn find_session(&self, id: &str) -> Result<Option<SessionRow>, StoreError>;

    /// A transaction's sessions, by id.
    async fn list_transaction_sessions(&self, transaction_id: &str) -> Result<Vec<SessionRow>, StoreError>;

    /// Moves a session from `change.from` to `change.to` if it is still in
    /// `change.from` and not expired at `change.at_ms`; writes the webhook
    /// (if any) and the audit entry in the same transaction.
    /// [`StoreError::Conflict`] otherwise, changing nothing: of racing
    /// wallets, exactly one wins each step.
    async fn change_session(
        &self,
        id: &str,
        change: &SessionChange,
        webhook: Option<&WebhookRow>,
        audit: AuditDraft,
    ) -> Result<AuditEntry, StoreError>;

    /// Deliveries due at `now_ms`, oldest first.
    async fn due_webhooks(&self, now_ms: i64, limit: u32) -> Result<Vec<WebhookRow>, StoreError>;

    /// Claims an undelivered delivery until `until_ms`, if it is still due
    /// at `seen_next_attempt_at_ms` (what [`Self::due_webhooks`] read):
    /// `false` when another instance claimed it first. The claim is a lease
    /// longer than one attempt may take, so no two instances post the same
    /// delivery at once.
    async fn claim_webhook(&self, id: &str, seen_next_attempt_at_ms: i64, until_ms: i64) -> Result<bool, StoreError>;

    /// Records an attempt: delivered at `delivered_at_ms`, or to be retried
    /// at `next_attempt_at_ms`.
    async fn record_webhook_attempt(
        &self,
        id: &str,
        attempts: u32,
        next_attempt_at_ms: i64,
        delivered_at_ms: Option<i64>,
    ) -> Result<(), StoreError>;
}

/// What a listener for other processes' session changes hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// (Re)connected: changes are heard from now on.
    Connected,
    /// This session changed.
    Changed(String),
    /// The connection is gone; the next call reconnects.
    Lost,
}
