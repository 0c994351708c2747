//! The relying-party half of the storage interface (issue #5): registered
//! relying parties, and the audit entries of one holder (usage history).

use async_trait::async_trait;
use wz_core::{AuditDraft, AuditEntry};

use crate::StoreError;

/// A registered relying party as stored. Public except `secret_digest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingPartyRow {
    /// Client id (primary key), e.g. `rp-1a2b…`.
    pub id: String,
    /// Display name shown to citizens.
    pub name: String,
    /// `government`, `hotel`, `bank` or `internet`.
    pub category: String,
    /// Modes it may use (wire names).
    pub modes: Vec<String>,
    /// Attributes it may receive in full (wire names).
    pub grants: Vec<String>,
    /// Where session results are delivered.
    pub webhook_url: Option<String>,
    /// SM3 of the client secret (the secret itself is never stored).
    pub secret_digest: [u8; 32],
    /// Optional public key for signed requests, SEC1 (SM2 or P-256).
    pub public_key: Option<Vec<u8>>,
    /// `SM2` or `ES256`: the algorithm of `public_key`, and of the
    /// results it receives.
    pub alg: String,
    /// Whether it may authenticate.
    pub active: bool,
    /// Unix milliseconds.
    pub created_at_ms: i64,
    /// Unix milliseconds.
    pub updated_at_ms: i64,
    /// Its OpenID Connect settings, when it signs citizens in through the
    /// provider.
    pub oidc: Option<wz_core::OidcClient>,
}

/// Storage for relying parties. Every change writes its audit entry in the
/// same transaction.
#[async_trait]
pub trait RelyingPartyStore: Send + Sync {
    /// Registers a relying party. [`StoreError::AlreadyExists`] if the id
    /// is taken.
    async fn insert_relying_party(&self, row: &RelyingPartyRow, audit: AuditDraft) -> Result<AuditEntry, StoreError>;

    /// Replaces a relying party's row (grants, keys, secret) if its
    /// `updated_at_ms` is still `expected_updated_at_ms`;
    /// [`StoreError::NotFound`] if there is none, [`StoreError::Conflict`]
    /// if it changed meanwhile.
    async fn update_relying_party(
        &self,
        row: &RelyingPartyRow,
        expected_updated_at_ms: i64,
        audit: AuditDraft,
    ) -> Result<AuditEntry, StoreError>;

    /// One relying party by id.
    async fn find_relying_party(&self, id: &str) -> Result<Option<RelyingPartyRow>, StoreError>;

    /// Every relying party, by id.
    async fn list_relying_parties(&self) -> Result<Vec<RelyingPartyRow>, StoreError>;

    /// Audit entries whose subject is `subject` and action `action`, newest
    /// first, at most `limit`.
    async fn list_audit_by_subject(&self, subject: &str, action: &str, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;
}
