//! The published key list (`/v1/keys`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One public key the platform signs with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublishedKey {
    /// Key id, as carried in signed documents.
    pub kid: String,
    /// `SM2` or `ES256`.
    pub alg: String,
    /// What it signs: `results`, `card-authority`.
    #[serde(rename = "use")]
    pub usage: String,
    /// SPKI PEM (SM2 keys).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub public_key_pem: Option<String>,
    /// SEC1 uncompressed point, hex.
    pub sec1_hex: String,
    /// JWK `x` (ES256 keys), base64url.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub x: Option<String>,
    /// JWK `y` (ES256 keys), base64url.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub y: Option<String>,
}

/// All published keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KeysResponse {
    /// Keys, results keys first.
    pub keys: Vec<PublishedKey>,
}
