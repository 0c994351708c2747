//! DPoP proofs (RFC 9449): a client that sends one at PAR or the token
//! endpoint gets its code and access token bound to the proof's key
//! (`token_type` `DPoP`); userinfo then accepts that token only with a
//! fresh proof by the same key over the request and the token (`ath`).

use base64::Engine;
use sha2::Digest;

use crate::error::{OAuthCode, OAuthError};
use crate::jose::{Alg, Jwk, Parsed};
use crate::Provider;

/// How far a proof's `iat` may be from our clock, in seconds (RFC 9449 §11.1).
const IAT_WINDOW_SECONDS: i64 = 60;

fn invalid(description: &'static str) -> OAuthError {
    OAuthError::new(OAuthCode::InvalidDpopProof, description)
}

impl Provider {
    /// Checks a DPoP proof for `method` on `url` (and, at a resource, the
    /// access token it accompanies); returns the key's RFC 7638 thumbprint.
    /// Each proof is accepted once.
    pub(crate) async fn check_dpop(&self, proof: &str, method: &str, url: &str, access_token: Option<&str>) -> Result<String, OAuthError> {
        let parsed = Parsed::new(proof).map_err(|_| invalid("the DPoP proof is not a JWS"))?;
        if parsed.header_str("typ") != Some("dpop+jwt") {
            return Err(invalid("the DPoP proof's typ must be dpop+jwt"));
        }
        let jwk = parsed
            .header
            .get("jwk")
            .ok_or(invalid("the DPoP proof carries no jwk"))
            .and_then(|value| Jwk::from_value(value).map_err(|_| invalid("the DPoP proof's jwk is not a public EC key")))?;
        let key = jwk
            .public_key()
            .map_err(|_| invalid("the DPoP proof's jwk is not a public EC key"))?;
        parsed
            .verify(&key, &[Alg::Es256, Alg::Sm2])
            .map_err(|_| invalid("the DPoP proof's signature does not verify"))?;
        if parsed.claim_str("htm") != Some(method) {
            return Err(invalid("the DPoP proof is for another method"));
        }
        let htu = parsed.claim_str("htu").unwrap_or_default();
        if htu.split(['?', '#']).next() != Some(url) {
            return Err(invalid("the DPoP proof is for another URL"));
        }
        let now = self.now_ms() / 1000;
        let issued = parsed.claim_i64("iat").ok_or(invalid("the DPoP proof has no iat"))?;
        if (issued - now).abs() > IAT_WINDOW_SECONDS {
            return Err(invalid("the DPoP proof is too old or from the future"));
        }
        if let Some(token) = access_token {
            let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes()));
            if parsed.claim_str("ath") != Some(expected.as_str()) {
                return Err(invalid("the DPoP proof is for another access token"));
            }
        }
        let jti = parsed
            .claim_str("jti")
            .filter(|j| !j.is_empty() && j.len() <= 256)
            .ok_or(invalid("the DPoP proof has no jti"))?;
        let thumbprint = jwk.thumbprint();
        if !self
            .spend_once("dpop", &thumbprint, jti, (now + 2 * IAT_WINDOW_SECONDS) * 1000)
            .await?
        {
            return Err(invalid("the DPoP proof was already used"));
        }
        Ok(thumbprint)
    }
}
