//! Relying parties on the wire: registration (operator), the public list,
//! server-to-server authentication with signed results, and the citizen's
//! usage history. RPs authenticate with HTTP Basic `client_id:client_secret`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Registers or changes a relying party (operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelyingPartyRequest {
    /// Display name shown to citizens.
    pub name: String,
    /// `government`, `hotel`, `bank` or `internet`.
    pub category: String,
    /// Modes it may use, e.g. `["credential", "qr_verify"]`.
    pub modes: Vec<String>,
    /// Attributes it may receive in full: `name`, `id_number`,
    /// `birth_date`, `sex`, `ethnicity`, `address`, `validity`.
    #[serde(default)]
    pub grants: Vec<String>,
    /// Where session results are posted.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Public key for signed requests, SEC1 hex.
    #[serde(default)]
    pub public_key: Option<String>,
    /// `SM2` (default) or `ES256`: of that key and of its results.
    #[serde(default)]
    pub alg: Option<String>,
    /// OpenID Connect client settings, to sign citizens in through the
    /// provider (docs/oidc.md).
    #[serde(default)]
    pub oidc: Option<OidcClientSettings>,
}

/// A relying party's OpenID Connect client settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OidcClientSettings {
    /// Exact redirect URIs: https, or http on a loopback address.
    pub redirect_uris: Vec<String>,
    /// Public JWK Set for `private_key_jwt` (ES256 or SM2 keys); without
    /// one the client uses `client_secret_basic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// `ES256` (default) or `SM2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<String>,
    /// Access-token lifetime, 60 to 3600 seconds (default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime_seconds: Option<u32>,
}

/// A registration as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RelyingPartyResponse {
    /// Client id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Modes it may use.
    pub modes: Vec<String>,
    /// Attributes it may receive in full.
    pub grants: Vec<String>,
    /// Whether it has a webhook.
    pub webhook: bool,
    /// Its public key for signed requests, SEC1 hex.
    pub public_key: Option<String>,
    /// `SM2` or `ES256`.
    pub alg: String,
    /// Whether it may authenticate.
    pub active: bool,
    /// Unix milliseconds.
    pub created_at_ms: i64,
    /// Unix milliseconds.
    pub updated_at_ms: i64,
    /// Its OpenID Connect client settings, if it has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcClientSettings>,
}

/// A registration with its client secret (shown once).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegisteredRelyingParty {
    /// The registration.
    pub relying_party: RelyingPartyResponse,
    /// Client secret for HTTP Basic; store it, it is not shown again.
    pub client_secret: String,
}

impl std::fmt::Debug for RegisteredRelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredRelyingParty")
            .field("relying_party", &self.relying_party)
            .finish_non_exhaustive()
    }
}

/// Suspends or reinstates a relying party (operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelyingPartyStateRequest {
    /// `false` suspends.
    pub active: bool,
}

/// Every registered relying party and what it may receive (public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RelyingPartyList {
    /// By id.
    pub relying_parties: Vec<RelyingPartyResponse>,
}

/// A server-to-server authentication (HTTP Basic as the RP).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthenticationRequest {
    /// One of the nine modes, e.g. `credential`.
    pub mode: String,
    /// Why the RP asks (1–200 characters; shown in the citizen's history).
    pub purpose: String,
    /// Attributes wanted in full (released only when granted and consented).
    #[serde(default)]
    pub attributes: Vec<String>,
    /// `SM2` or `ES256` for the result's signature (default: the RP's).
    #[serde(default)]
    pub alg: Option<String>,
    /// ID number (ID-number modes).
    #[serde(default)]
    pub id_number: Option<String>,
    /// Name (ID-number modes).
    #[serde(default)]
    pub name: Option<String>,
    /// Validity as printed, `2015.03.01-2035.03.01` (validity modes).
    #[serde(default)]
    pub validity: Option<String>,
    /// Live portrait, JPEG or PNG, standard base64 (portrait modes).
    #[serde(default)]
    pub portrait: Option<String>,
    /// The wallet's code `WZQR1:…` (credential modes, `qr_verify`).
    #[serde(default)]
    pub code: Option<String>,
    /// The 8-digit card password (`portrait_credential_pin`).
    #[serde(default)]
    pub password: Option<String>,
    /// Card presentation answering a `/v1/cards/challenge` (`card_portrait_credential`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub card: Option<serde_json::Value>,
}

impl std::fmt::Debug for AuthenticationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticationRequest")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// A signed result. Results are signed in batches: the leaf is
/// `SM3(0x00 || payload)` (the base64url text as sent), `path` climbs to
/// the root with `SM3(0x01 || left || right)` (this side on the left when
/// the index at that level is even), and `signature` covers
/// `"wz-auth-result/1\0" || root` with the key `key_id` of `/v1/keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignedResult {
    /// `SM2` or `ES256`.
    pub alg: String,
    /// Signing key in `/v1/keys`.
    pub key_id: String,
    /// base64url of the statement's JSON (the fields below, as signed).
    pub payload: String,
    /// base64url of the 64-byte signature over the batch root.
    pub signature: String,
    /// This result's position in its batch.
    pub index: u32,
    /// Sibling hashes from the leaf to the root, hex.
    pub path: Vec<String>,
}

/// The answer to an authentication: the statement's fields for reading,
/// and the signed form to check and keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuthenticationResponse {
    /// `success` or the precise reason (docs/result-codes.md).
    pub result: String,
    /// Level achieved on success.
    pub level: Option<String>,
    /// The RP's pairwise subject for this person.
    pub subject: Option<String>,
    /// Released fields: `name_masked`, `id_number_masked` always on
    /// success; full attributes only where granted and consented.
    pub attributes: BTreeMap<String, String>,
    /// Request id.
    pub request_id: String,
    /// Unix milliseconds.
    pub issued_at_ms: i64,
    /// The signed statement.
    pub signed: SignedResult,
}

/// The citizen lists where their identity was used (signed by the wallet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalletHistoryRequest {
    /// The wallet's credential.
    pub credential: String,
}

/// One use of the citizen's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// Unix milliseconds.
    pub at_ms: i64,
    /// Relying party id.
    pub rp_id: String,
    /// Its name.
    pub rp_name: String,
    /// Its category.
    pub rp_category: String,
    /// Mode.
    pub mode: String,
    /// The purpose it stated.
    pub purpose: String,
    /// Result code.
    pub result: String,
    /// Attributes released in full.
    pub released: Vec<String>,
}

/// The citizen's usage history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WalletHistoryResponse {
    /// At most 200 entries.
    pub entries: Vec<HistoryEntry>,
}
