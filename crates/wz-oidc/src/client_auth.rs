//! Client authentication at the PAR and token endpoints: `client_secret_basic`
//! (RFC 6749 §2.3.1) for clients without keys, `private_key_jwt` (OpenID
//! Connect Core §9, RFC 7523) with ES256 or SM2 for clients that registered
//! a JWK Set. A client with keys must use them.

use base64::Engine;
use wz_store::{NonceUse, RelyingPartyRow};

use crate::error::OAuthError;
use crate::jose::{Alg, Jwk, Parsed};
use crate::request::Parameters;
use crate::Provider;

/// `client_assertion_type` of a JWT assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Longest lifetime of a client assertion, in seconds.
const MAX_ASSERTION_SECONDS: i64 = 300;
/// Clock difference tolerated on `iat`/`nbf`, in seconds.
const LEEWAY_SECONDS: i64 = 30;

/// How a request presented its client.
pub enum Presented<'a> {
    /// HTTP Basic with id and secret (both form-urlencoded first, RFC 6749 §2.3.1).
    Basic(String, String),
    /// A signed JWT assertion.
    Assertion(&'a str),
}

/// Reads the client's credentials from the `Authorization` header and the form.
pub fn presented<'a>(authorization: Option<&str>, form: &'a Parameters) -> Result<Presented<'a>, OAuthError> {
    match (authorization, form.get("client_assertion")) {
        (Some(_), Some(_)) => Err(OAuthError::request("use one client authentication method")),
        (Some(header), None) => basic(header).ok_or_else(OAuthError::client),
        (None, Some(assertion)) => {
            if form.get("client_assertion_type") != Some(JWT_BEARER) {
                return Err(OAuthError::request("client_assertion_type must be jwt-bearer"));
            }
            Ok(Presented::Assertion(assertion))
        }
        (None, None) => Err(OAuthError::client()),
    }
}

fn basic(header: &str) -> Option<Presented<'static>> {
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some(Presented::Basic(unescape(id)?, unescape(secret)?))
}

impl Provider {
    /// Spends a token's `jti` for its `owner` (client id, DPoP key) until
    /// `expires_at_ms`; `false` if it was spent before.
    pub(crate) async fn spend_once(&self, kind: &'static str, owner: &str, jti: &str, expires_at_ms: i64) -> Result<bool, OAuthError> {
        let digest = wz_crypto::sm3(format!("{owner}\0{jti}").as_bytes());
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&digest[..16]);
        let used = NonceUse {
            kind,
            nonce,
            expires_at_ms,
            credential: None,
        };
        Ok(self.services.context.store.consume_nonce(&used).await?)
    }

    /// The authenticated client, which must be an active relying party
    /// with OpenID Connect settings; `endpoint` is the URL the assertion
    /// may name as its audience besides the issuer.
    pub(crate) async fn authenticate_client(
        &self,
        presented: Presented<'_>,
        form: &Parameters,
        endpoint: &str,
    ) -> Result<RelyingPartyRow, OAuthError> {
        let party = match presented {
            Presented::Basic(id, secret) => {
                let party = self
                    .services
                    .relying_parties
                    .authenticate(&id, &secret)
                    .await
                    .map_err(|_| OAuthError::client())?;
                if party.oidc.as_ref().is_some_and(|o| o.jwks.is_some()) {
                    // It registered keys: a secret alone is not enough.
                    return Err(OAuthError::client());
                }
                party
            }
            Presented::Assertion(assertion) => self.check_assertion(assertion, endpoint).await?,
        };
        if form.get("client_id").is_some_and(|id| id != party.id) {
            return Err(OAuthError::client());
        }
        if party.oidc.is_none() {
            return Err(OAuthError::new(
                crate::error::OAuthCode::UnauthorizedClient,
                "this relying party has no OpenID Connect registration",
            ));
        }
        Ok(party)
    }

    async fn check_assertion(&self, assertion: &str, endpoint: &str) -> Result<RelyingPartyRow, OAuthError> {
        let parsed = Parsed::new(assertion).map_err(|_| OAuthError::client())?;
        let id = parsed.claim_str("iss").ok_or_else(OAuthError::client)?;
        if parsed.claim_str("sub") != Some(id) {
            return Err(OAuthError::client());
        }
        let party = self.services.relying_parties.find(id).await.map_err(|_| OAuthError::client())?;
        let keys = party
            .oidc
            .as_ref()
            .and_then(|o| o.jwks.as_deref())
            .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
            .ok_or_else(OAuthError::client)?;
        let kid = parsed.header_str("kid");
        let verified = keys
            .get("keys")
            .and_then(|k| k.as_array())
            .into_iter()
            .flatten()
            .filter_map(|value| Jwk::from_value(value).ok())
            .filter(|jwk| kid.is_none() || jwk.kid.as_deref() == kid)
            .filter_map(|jwk| jwk.public_key().ok())
            .any(|key| parsed.verify(&key, &[Alg::Es256, Alg::Sm2]).is_ok());
        if !verified || !party.active {
            return Err(OAuthError::client());
        }
        let audience_ok = match parsed.claims.get("aud") {
            Some(serde_json::Value::String(aud)) => aud == &self.issuer || aud == endpoint,
            Some(serde_json::Value::Array(list)) => list
                .iter()
                .any(|a| a.as_str() == Some(&self.issuer) || a.as_str() == Some(endpoint)),
            _ => false,
        };
        let now = self.now_ms() / 1000;
        let exp = parsed.claim_i64("exp").ok_or_else(OAuthError::client)?;
        let issued = parsed.claim_i64("iat").unwrap_or(now);
        let fresh = exp > now && exp - now <= MAX_ASSERTION_SECONDS && issued <= now + LEEWAY_SECONDS;
        let jti = parsed.claim_str("jti").ok_or_else(OAuthError::client)?;
        if !audience_ok || !fresh || jti.is_empty() {
            return Err(OAuthError::client());
        }
        // Single use (RFC 7523 §3 point 7): the jti is spent until the
        // assertion would have expired anyway.
        if !self.spend_once("client_assertion", &party.id, jti, exp * 1000).await? {
            return Err(OAuthError::new(crate::error::OAuthCode::InvalidClient, "client assertion replayed"));
        }
        Ok(party)
    }
}
