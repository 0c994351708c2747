//! A relying party's OpenID Connect settings: where the browser may be sent
//! back to, the keys it authenticates its token requests with, and how its
//! ID tokens are signed. Kept with the registration, validated here so the
//! admin API, the CLI and the provider apply the same rules.

use serde::{Deserialize, Serialize};

/// Most redirect URIs of one client.
pub const MAX_REDIRECT_URIS: usize = 10;
/// Access-token lifetimes an operator may choose, in seconds.
pub const ACCESS_TOKEN_SECONDS: std::ops::RangeInclusive<u32> = 60..=3600;
/// Default access-token lifetime (FAPI 2.0 asks for short-lived tokens).
pub const DEFAULT_ACCESS_TOKEN_SECONDS: u32 = 600;

/// How ID tokens for a client are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum IdTokenAlg {
    /// ECDSA P-256 with SHA-256: what every OIDC library verifies.
    #[default]
    #[serde(rename = "ES256")]
    Es256,
    /// SM2 with SM3 (GB/T 32918, `Z_A` over the default ID
    /// `1234567812345678`): an opt-in private algorithm name.
    #[serde(rename = "SM2")]
    Sm2,
}

impl IdTokenAlg {
    /// The JOSE `alg` name (`SM2` is not registered with IANA; see docs/oidc.md).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Sm2 => "SM2",
        }
    }

    /// Parses a JOSE `alg` name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ES256" => Some(Self::Es256),
            "SM2" => Some(Self::Sm2),
            _ => None,
        }
    }
}

/// The OpenID Connect part of a registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcClient {
    /// Exact redirect URIs (compared byte for byte).
    pub redirect_uris: Vec<String>,
    /// The client's public JWK Set (JSON text) for `private_key_jwt`;
    /// without one the client authenticates with `client_secret_basic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
    /// ID token signature algorithm.
    #[serde(default)]
    pub id_token_alg: IdTokenAlg,
    /// Access-token lifetime in seconds.
    #[serde(default = "default_access_token_seconds")]
    pub access_token_seconds: u32,
}

fn default_access_token_seconds() -> u32 {
    DEFAULT_ACCESS_TOKEN_SECONDS
}

/// Why OpenID Connect settings are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.reason())]
pub enum OidcClientError {
    /// No redirect URI, or too many.
    RedirectUriCount,
    /// Not an absolute https URI (or http on a loopback address), or it
    /// has a fragment.
    RedirectUri,
    /// The JWK Set is not a JSON object with a `keys` array.
    Jwks,
    /// Outside [`ACCESS_TOKEN_SECONDS`].
    AccessTokenSeconds,
}

impl OidcClientError {
    /// The reason, for an error message.
    pub fn reason(self) -> &'static str {
        match self {
            Self::RedirectUriCount => "an OpenID Connect client has 1 to 10 redirect URIs",
            Self::RedirectUri => "a redirect URI is https (or http on 127.0.0.1, [::1] or localhost), absolute, without a fragment",
            Self::Jwks => "the client JWK Set must be a JSON object with a keys array",
            Self::AccessTokenSeconds => "the access-token lifetime is 60 to 3600 seconds",
        }
    }
}

impl OidcClient {
    /// Checks the settings; redirect URIs keep their exact spelling (RFC
    /// 9700 §2.1: exact string matching), duplicates are dropped.
    pub fn validated(mut self) -> Result<Self, OidcClientError> {
        self.redirect_uris.dedup();
        if self.redirect_uris.is_empty() || self.redirect_uris.len() > MAX_REDIRECT_URIS {
            return Err(OidcClientError::RedirectUriCount);
        }
        if !self.redirect_uris.iter().all(|uri| redirect_uri_allowed(uri)) {
            return Err(OidcClientError::RedirectUri);
        }
        if let Some(jwks) = &self.jwks {
            let value: serde_json::Value = serde_json::from_str(jwks).map_err(|_| OidcClientError::Jwks)?;
            if !value.get("keys").is_some_and(serde_json::Value::is_array) {
                return Err(OidcClientError::Jwks);
            }
        }
        if !ACCESS_TOKEN_SECONDS.contains(&self.access_token_seconds) {
            return Err(OidcClientError::AccessTokenSeconds);
        }
        Ok(self)
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the stored form.
    pub fn from_json(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// https anywhere, plain http only back to the user's own machine (RFC 8252 §7.3).
fn redirect_uri_allowed(text: &str) -> bool {
    let Ok(url) = url::Url::parse(text) else { return false };
    if url.fragment().is_some() || text.contains('#') || url.cannot_be_a_base() || !url.username().is_empty() {
        return false;
    }
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn client(uris: &[&str]) -> OidcClient {
        OidcClient {
            redirect_uris: uris.iter().map(|u| (*u).to_owned()).collect(),
            jwks: None,
            id_token_alg: IdTokenAlg::Es256,
            access_token_seconds: DEFAULT_ACCESS_TOKEN_SECONDS,
        }
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_without_fragment() {
        assert!(client(&["https://rp.example/cb", "http://127.0.0.1:8080/cb"]).validated().is_ok());
        for bad in [
            "http://rp.example/cb",
            "https://rp.example/cb#x",
            "javascript:alert(1)",
            "rp.example/cb",
            "https://user@rp.example/cb",
        ] {
            assert_eq!(client(&[bad]).validated(), Err(OidcClientError::RedirectUri), "{bad}");
        }
        assert_eq!(client(&[]).validated(), Err(OidcClientError::RedirectUriCount));
    }

    #[test]
    fn settings_round_trip_through_their_stored_form() {
        let mut settings = client(&["https://rp.example/cb"]);
        settings.jwks = Some(r#"{"keys":[]}"#.into());
        settings.id_token_alg = IdTokenAlg::Sm2;
        let settings = settings.validated().unwrap();
        assert_eq!(OidcClient::from_json(&settings.to_json()), Some(settings));
        let mut bad = client(&["https://rp.example/cb"]);
        bad.jwks = Some("[1]".into());
        assert_eq!(bad.clone().validated(), Err(OidcClientError::Jwks));
        bad.jwks = None;
        bad.access_token_seconds = 5;
        assert_eq!(bad.validated(), Err(OidcClientError::AccessTokenSeconds));
    }
}
