//! The credential half of the storage interface (issue #4): credentials,
//! card passwords, terminals, enrolments and single-use nonces.

use async_trait::async_trait;
use time::OffsetDateTime;
use wz_core::{AuditDraft, AuditEntry, CredentialSerial, LockoutPolicy, LookupKey, PasswordAttempt, PasswordState};

use crate::{CredentialRow, EnrolmentRow, NewCredential, NonceUse, StoreError, TerminalRow, UseAudit, UseOutcome};

/// Storage for credentials and everything around them. Every method that
/// changes state writes its audit entry in the same transaction.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// Issues a credential: checks the identity is still `valid`, revokes
    /// its active credential with `replaces_reason`, writes the password
    /// update (if its expected epoch still holds) and completes the
    /// enrolment (if still bound), inserts the row, appends the audit
    /// entry. [`StoreError::Conflict`] if any check fails; nothing changes.
    /// Concurrent issuances for one identity serialise: exactly one
    /// credential stays active.
    async fn insert_credential(&self, new: &NewCredential, audit: AuditDraft) -> Result<AuditEntry, StoreError>;

    /// A credential by serial.
    async fn find_credential(&self, serial: &CredentialSerial) -> Result<Option<CredentialRow>, StoreError>;

    /// Every credential of an identity, newest first.
    async fn list_credentials(&self, lookup: &LookupKey) -> Result<Vec<CredentialRow>, StoreError>;

    /// Revokes an identity's active credentials with `reason`; returns how
    /// many. The audit entry is written even when none was active.
    async fn revoke_credentials(&self, lookup: &LookupKey, reason: &str, at: OffsetDateTime, audit: AuditDraft) -> Result<u64, StoreError>;

    /// An identity's card password state.
    async fn find_password(&self, lookup: &LookupKey) -> Result<Option<PasswordState>, StoreError>;

    /// One password attempt, atomically: reads the state under a lock,
    /// applies [`PasswordState::attempt`] with `check`, writes it back and
    /// appends the audit entry built from the outcome. Concurrent attempts
    /// from any number of devices all count. [`StoreError::NotFound`] if no
    /// password is set.
    async fn attempt_password(
        &self,
        lookup: &LookupKey,
        at: OffsetDateTime,
        policy: LockoutPolicy,
        check: &(dyn for<'s> Fn(&'s PasswordState) -> bool + Send + Sync),
        audit: &(dyn Fn(PasswordAttempt) -> AuditDraft + Send + Sync),
    ) -> Result<PasswordAttempt, StoreError>;

    /// Records uses of single-use nonces with their audit entries, all in
    /// one transaction: for each, checks its credential (if named) is
    /// active, then marks the nonce used. Batching lets many verifications
    /// share one commit.
    async fn record_uses(&self, uses: &[NonceUse], audit: &UseAudit) -> Result<Vec<UseOutcome>, StoreError>;

    /// Marks a nonce used without an audit entry (signed-request replay
    /// protection); `false` if it was already used.
    async fn consume_nonce(&self, nonce: &NonceUse) -> Result<bool, StoreError>;

    /// Marks several nonces used in one transaction, without an audit entry
    /// (a liveness challenge and the hashes of its frames); for each, `true`
    /// if this was its first use. Fresh ones are recorded even when others
    /// were used before, and a nonce twice in the list is fresh only once.
    /// Nonces naming a credential are not checked against it here.
    async fn consume_nonces(&self, nonces: &[NonceUse]) -> Result<Vec<bool>, StoreError>;

    /// Deletes nonces whose expiry has passed; returns how many.
    async fn purge_nonces(&self, now_ms: i64) -> Result<u64, StoreError>;

    /// Registers a terminal. [`StoreError::AlreadyExists`] if the id is taken.
    async fn insert_terminal(&self, row: &TerminalRow, audit: AuditDraft) -> Result<AuditEntry, StoreError>;

    /// A terminal by id.
    async fn find_terminal(&self, id: &str) -> Result<Option<TerminalRow>, StoreError>;

    /// Opens an enrolment session.
    async fn insert_enrolment(&self, row: &EnrolmentRow, audit: AuditDraft) -> Result<AuditEntry, StoreError>;

    /// An enrolment session by id.
    async fn find_enrolment(&self, id: &str) -> Result<Option<EnrolmentRow>, StoreError>;

    /// Binds a waiting enrolment to a wallet's device key.
    /// [`StoreError::Conflict`] unless it is still waiting.
    async fn bind_enrolment(&self, id: &str, device_key: &[u8], audit: AuditDraft) -> Result<AuditEntry, StoreError>;

    /// Ends a waiting or bound enrolment without issuing.
    /// [`StoreError::Conflict`] once it is completed or cancelled.
    async fn cancel_enrolment(&self, id: &str, audit: AuditDraft) -> Result<AuditEntry, StoreError>;
}
