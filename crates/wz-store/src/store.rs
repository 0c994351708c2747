//! The one storage trait.

use async_trait::async_trait;
use time::OffsetDateTime;
use wz_core::{AuditDraft, AuditEntry, LookupKey, StatusChange};

use crate::{CredentialStore, IdentityRow, NewIdentity, RelyingPartyStore, SessionStore, StatusHistoryRow, StoreError};

/// Storage for the registry and the audit chain. Implementations must be
/// safe under concurrent use from many tasks and processes: the audit chain
/// stays linear however many writers race. The credential side lives in
/// the supertrait [`CredentialStore`], relying parties in [`RelyingPartyStore`].
#[async_trait]
pub trait Store: CredentialStore + RelyingPartyStore + SessionStore + crate::OidcStore + Send + Sync + 'static {
    /// Checks that the database answers (readiness).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Inserts registry rows and one audit entry for the batch, all or
    /// nothing. Fails with [`StoreError::AlreadyExists`] if any lookup key is
    /// taken, leaving the store unchanged.
    async fn insert_identities(&self, rows: &[NewIdentity], audit: AuditDraft) -> Result<AuditEntry, StoreError>;

    /// Finds a registry row (its attributes; the portrait is apart).
    async fn find_identity(&self, lookup: &LookupKey) -> Result<Option<IdentityRow>, StoreError>;

    /// The sealed portrait of a registry row, if it has one (rows sealed
    /// whole before issue #14 hold theirs inside `sealed` until resealed).
    async fn find_portrait(&self, lookup: &LookupKey) -> Result<Option<Vec<u8>>, StoreError>;

    /// Up to `limit` rows still sealed whole (attributes and portrait in one
    /// part), for [`Store::reseal_identities`].
    async fn whole_sealed_identities(&self, limit: u32) -> Result<Vec<(LookupKey, Vec<u8>)>, StoreError>;

    /// Replaces whole-sealed rows by their two parts, each only if it is
    /// still whole-sealed with the same bytes, and appends one audit entry,
    /// in one transaction. Returns how many rows changed.
    async fn reseal_identities(&self, rows: &[crate::ResealedIdentity], audit: AuditDraft) -> Result<u64, StoreError>;

    /// Applies a status change if the row still has `change.from`, records it
    /// in the history and appends the audit entry, in one transaction. A
    /// change away from `valid` revokes the identity's active credentials in
    /// the same transaction, with the card status's result code as reason.
    /// [`StoreError::NotFound`] if there is no row, [`StoreError::Conflict`]
    /// if its status is no longer `change.from`.
    async fn update_identity_status(
        &self,
        lookup: &LookupKey,
        change: &StatusChange,
        at: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<AuditEntry, StoreError>;

    /// An identity's status history, oldest first.
    async fn list_status_history(&self, lookup: &LookupKey) -> Result<Vec<StatusHistoryRow>, StoreError>;

    /// Number of registry rows.
    async fn count_identities(&self) -> Result<u64, StoreError>;

    /// Records the check value of each named key not recorded yet and
    /// returns every recorded one, by name: the keys this database was
    /// written with, which every instance must share.
    async fn record_key_check_values(&self, values: &[(String, String)], at_ms: i64) -> Result<Vec<(String, String)>, StoreError>;

    /// Takes up to `want` units of the shared quota `scope` (at most
    /// `limit` per window) for the window that starts at `window_start`
    /// and returns how many were granted, 0 when the window is spent. A
    /// later window starts afresh; a caller whose clock lags is charged to
    /// the latest window seen. Every instance leases from the same row, so
    /// the units granted in one window never exceed `limit` in total.
    async fn lease_quota(&self, scope: &str, window_start: i64, want: u32, limit: u32) -> Result<u32, StoreError>;

    /// Forgets quota windows that started before `before_ms`; returns how many.
    async fn purge_quota_windows(&self, before_ms: i64) -> Result<u64, StoreError>;

    /// Appends a stand-alone audit entry (an event with no other write).
    async fn append_audit(&self, audit: AuditDraft) -> Result<AuditEntry, StoreError>;

    /// Audit entries with `seq > after_seq`, ascending, at most `limit`.
    async fn list_audit(&self, after_seq: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;
}
