//! Rows of the OpenID Connect provider: one authorization per sign-in (from
//! the pushed or plain request through the session to the code and its
//! redemption) and the access tokens issued for it. Codes and tokens are
//! kept only as SM3 digests, like client secrets.

use async_trait::async_trait;
use wz_core::{AuditDraft, AuditEntry};

use crate::{SessionRow, StoreError};

/// Where an authorization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OidcAuthorizationState {
    /// Pushed (RFC 9126) and not yet opened by the browser.
    Pushed,
    /// The browser opened it; the sign-in session is running.
    Started,
    /// The session completed and a code went back to the client.
    CodeIssued,
    /// The code was redeemed for tokens.
    Redeemed,
    /// Ended without tokens (declined, expired, failed) or revoked after a
    /// second redemption of its code.
    Ended,
}

impl OidcAuthorizationState {
    /// Stable stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pushed => "pushed",
            Self::Started => "started",
            Self::CodeIssued => "code_issued",
            Self::Redeemed => "redeemed",
            Self::Ended => "ended",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pushed, Self::Started, Self::CodeIssued, Self::Redeemed, Self::Ended]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One sign-in through the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcAuthorizationRow {
    /// Random id; also the sign-in page's handle.
    pub id: String,
    /// The client (a relying party).
    pub rp_id: String,
    /// The validated request (JSON, owned by the provider crate).
    pub request: String,
    /// The PAR `request_uri`, while it may still be used.
    pub request_uri: Option<String>,
    /// The sign-in session, once started.
    pub session_id: Option<String>,
    /// SM3 of the browser cookie that started it.
    pub browser: Option<[u8; 32]>,
    /// SM3 of the issued code.
    pub code_digest: Option<[u8; 32]>,
    /// Its state.
    pub state: OidcAuthorizationState,
    /// When the current step lapses (request, session or code), Unix ms.
    pub expires_at_ms: i64,
    /// Unix milliseconds.
    pub created_at_ms: i64,
    /// Unix milliseconds.
    pub updated_at_ms: i64,
}

/// A conditional move of an authorization from one state to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcStep {
    /// Required current state.
    pub from: OidcAuthorizationState,
    /// New state.
    pub to: OidcAuthorizationState,
    /// Set the session (when starting).
    pub session_id: Option<String>,
    /// Set the browser binding (when starting).
    pub browser: Option<[u8; 32]>,
    /// Set the code digest (when issuing).
    pub code_digest: Option<[u8; 32]>,
    /// New expiry.
    pub expires_at_ms: i64,
    /// Unix milliseconds.
    pub at_ms: i64,
}

/// One code redemption for [`OidcStore::redeem_oidc_codes`].
#[derive(Debug, Clone)]
pub struct OidcRedemption {
    /// The authorization the code belongs to.
    pub authorization_id: String,
    /// Unix milliseconds of the redemption.
    pub at_ms: i64,
    /// The access token issued (its `expires_at_ms` becomes the
    /// authorization's).
    pub token: OidcTokenRow,
    /// Its audit entry.
    pub audit: AuditDraft,
}

impl OidcStep {
    /// A move from `from` to `to` that sets nothing else.
    pub fn new(from: OidcAuthorizationState, to: OidcAuthorizationState, expires_at_ms: i64, at_ms: i64) -> Self {
        Self {
            from,
            to,
            session_id: None,
            browser: None,
            code_digest: None,
            expires_at_ms,
            at_ms,
        }
    }
}

/// An access token (its digest) and what it may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcTokenRow {
    /// SM3 of the token.
    pub digest: [u8; 32],
    /// The authorization it was issued for.
    pub authorization_id: String,
    /// The client it was issued to.
    pub rp_id: String,
    /// RFC 9449 JWK thumbprint when sender-constrained with DPoP.
    pub jkt: Option<String>,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
    /// Revoked (its code was redeemed twice).
    pub revoked: bool,
}

/// How an authorization is found besides its id.
#[derive(Debug, Clone, Copy)]
pub enum OidcLookup<'a> {
    /// By PAR `request_uri`.
    RequestUri(&'a str),
    /// By code digest.
    Code(&'a [u8; 32]),
}

/// Storage for the OpenID Connect provider.
#[async_trait]
pub trait OidcStore: Send + Sync {
    /// Stores a new authorization; [`StoreError::AlreadyExists`] if its id
    /// or request URI is taken.
    async fn insert_oidc_authorization(&self, row: &OidcAuthorizationRow) -> Result<(), StoreError>;

    /// An authorization by id.
    async fn find_oidc_authorization(&self, id: &str) -> Result<Option<OidcAuthorizationRow>, StoreError>;

    /// An authorization by request URI or code.
    async fn find_oidc_authorization_by(&self, lookup: OidcLookup<'_>) -> Result<Option<OidcAuthorizationRow>, StoreError>;

    /// The authorization a code digest belongs to, with its session (when
    /// it has one) read by the same statement: what a redemption needs.
    async fn find_oidc_code(&self, digest: &[u8; 32]) -> Result<Option<(OidcAuthorizationRow, Option<SessionRow>)>, StoreError>;

    /// Moves an authorization on if it is still in `step.from`
    /// ([`StoreError::Conflict`] otherwise), in one transaction with the
    /// token to issue and the audit entry. Starting clears the request
    /// URI (single use); ending revokes every token issued for it.
    async fn step_oidc_authorization(
        &self,
        id: &str,
        step: &OidcStep,
        token: Option<&OidcTokenRow>,
        audit: Option<AuditDraft>,
    ) -> Result<Option<AuditEntry>, StoreError>;

    /// Redeems codes together, in one transaction: each authorization
    /// still in `code_issued` moves to `redeemed` with its token stored and
    /// its audit entry appended; one that moved on meanwhile (or that
    /// appears twice in the batch, after its first) is `false` and changes
    /// nothing. Results are in the order given.
    async fn redeem_oidc_codes(&self, redemptions: &[OidcRedemption]) -> Result<Vec<bool>, StoreError>;

    /// An access token by digest.
    async fn find_oidc_token(&self, digest: &[u8; 32]) -> Result<Option<OidcTokenRow>, StoreError>;
}
