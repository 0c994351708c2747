//! The JOSE the provider needs, and no more: compact JWS signed and
//! verified with ES256 (RFC 7518) or SM2 (SM2 with SM3, `Z_A` over the
//! default ID, the 64-byte `r || s` as the signature: a private algorithm
//! name, docs/oidc.md), EC public JWKs on P-256 and SM2, and RFC 7638
//! thumbprints (DPoP). Decision 27 says why this is ours rather than a
//! JOSE crate's.
//!
//! # Security
//! Verification takes the key and the accepted algorithms from the caller,
//! never from the token: `alg` in the header must be one of them and match
//! the key's curve (no `none`, no algorithm confusion).

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::Digest;
use wz_crypto::{Es256SigningKey, Es256VerifyingKey, Sm2Signature, Sm2SigningKey, Sm2VerifyingKey};

/// Longest compact JWS accepted (client assertions, DPoP proofs).
pub const MAX_JWS_BYTES: usize = 8 * 1024;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// A JWS algorithm the provider speaks: the ID token algorithms a client
/// may choose (`ES256`, `SM2`), one enum for both uses.
pub type Alg = wz_core::IdTokenAlg;

/// Why a token or key is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// Not three base64url parts of JSON, or too long.
    #[error("malformed JWS")]
    Malformed,
    /// `alg` missing, not accepted here, or not the key's.
    #[error("JWS algorithm not accepted")]
    Algorithm,
    /// The signature does not verify.
    #[error("JWS signature does not verify")]
    Signature,
    /// A JWK that is not an EC public key on P-256 or SM2.
    #[error("unusable JWK")]
    Key,
    /// Signing failed.
    #[error("signing failed")]
    Signing,
}

/// A key the provider signs with.
#[derive(Debug, Clone, Copy)]
pub enum Signer<'a> {
    /// ES256.
    Es256(&'a Es256SigningKey),
    /// SM2.
    Sm2(&'a Sm2SigningKey),
}

impl Signer<'_> {
    /// Its algorithm.
    pub fn alg(&self) -> Alg {
        match self {
            Self::Es256(_) => Alg::Es256,
            Self::Sm2(_) => Alg::Sm2,
        }
    }

    /// Its key id.
    pub fn kid(&self) -> String {
        match self {
            Self::Es256(key) => key.key_id().to_string(),
            Self::Sm2(key) => key.key_id().to_string(),
        }
    }

    /// A compact JWS of `claims` with header `alg`, `kid` and `typ`.
    pub fn sign(&self, typ: &str, claims: &Value) -> Result<String, JoseError> {
        let header = json!({ "alg": self.alg().as_str(), "kid": self.kid(), "typ": typ });
        let input = format!("{}.{}", b64().encode(header.to_string()), b64().encode(claims.to_string()));
        let signature = match self {
            Self::Es256(key) => key.sign(input.as_bytes()).map_err(|_| JoseError::Signing)?,
            Self::Sm2(key) => key.sign(input.as_bytes()).map_err(|_| JoseError::Signing)?.to_bytes(),
        };
        Ok(format!("{input}.{}", b64().encode(signature)))
    }
}

/// A public key a JWS may be verified with.
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// P-256.
    Es256(Es256VerifyingKey),
    /// SM2.
    Sm2(Sm2VerifyingKey),
}

impl PublicKey {
    /// The algorithm this key verifies.
    pub fn alg(&self) -> Alg {
        match self {
            Self::Es256(_) => Alg::Es256,
            Self::Sm2(_) => Alg::Sm2,
        }
    }

    fn verify(&self, input: &[u8], signature: &[u8]) -> Result<(), JoseError> {
        match self {
            Self::Es256(key) => key.verify(input, signature).map_err(|_| JoseError::Signature),
            Self::Sm2(key) => {
                let signature = Sm2Signature::from_slice(signature).map_err(|_| JoseError::Signature)?;
                key.verify(input, &signature).map_err(|_| JoseError::Signature)
            }
        }
    }
}

/// An EC public JWK (RFC 7517/7518 §6.2), P-256 or SM2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `EC`.
    pub kty: String,
    /// `P-256` or `SM2`.
    pub crv: String,
    /// base64url X coordinate.
    pub x: String,
    /// base64url Y coordinate.
    pub y: String,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// `sig`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
}

impl Jwk {
    /// The JWK of a P-256 key.
    pub fn from_es256(key: &Es256VerifyingKey) -> Self {
        let (x, y) = key.coordinates();
        Self::ec("P-256", &x, &y, key.key_id().to_string(), Alg::Es256)
    }

    /// The JWK of an SM2 key.
    pub fn from_sm2(key: &Sm2VerifyingKey) -> Self {
        // Uncompressed SEC1: 0x04 || x (32 bytes) || y (32 bytes).
        let sec1 = key.to_sec1_bytes();
        let point = sec1.get(1..).unwrap_or_default();
        let (x, y) = point.split_at(point.len() / 2);
        Self::ec("SM2", x, y, key.key_id().to_string(), Alg::Sm2)
    }

    fn ec(crv: &str, x: &[u8], y: &[u8], kid: String, alg: Alg) -> Self {
        Self {
            kty: "EC".into(),
            crv: crv.into(),
            x: b64().encode(x),
            y: b64().encode(y),
            kid: Some(kid),
            alg: Some(alg.as_str().into()),
            use_: Some("sig".into()),
        }
    }

    /// The key, if this is an EC public key on a curve we verify (a JWK
    /// carrying a private part `d` is refused: clients publish public keys).
    pub fn public_key(&self) -> Result<PublicKey, JoseError> {
        let coordinate = |text: &str| b64().decode(text).ok().filter(|bytes| bytes.len() == 32).ok_or(JoseError::Key);
        if self.kty != "EC" {
            return Err(JoseError::Key);
        }
        let mut sec1 = vec![4u8];
        sec1.extend(coordinate(&self.x)?);
        sec1.extend(coordinate(&self.y)?);
        match self.crv.as_str() {
            "P-256" => Es256VerifyingKey::from_sec1_bytes(&sec1)
                .map(PublicKey::Es256)
                .map_err(|_| JoseError::Key),
            "SM2" => Sm2VerifyingKey::from_sec1_bytes(&sec1, "client")
                .map(PublicKey::Sm2)
                .map_err(|_| JoseError::Key),
            _ => Err(JoseError::Key),
        }
    }

    /// RFC 7638 thumbprint: SHA-256 over the required members in
    /// lexicographic order, base64url.
    pub fn thumbprint(&self) -> String {
        let canonical = format!(
            r#"{{"crv":{},"kty":{},"x":{},"y":{}}}"#,
            json!(self.crv),
            json!(self.kty),
            json!(self.x),
            json!(self.y)
        );
        b64().encode(sha2::Sha256::digest(canonical.as_bytes()))
    }

    /// Reads a JWK from JSON, refusing private keys.
    pub fn from_value(value: &Value) -> Result<Self, JoseError> {
        if value.get("d").is_some() {
            return Err(JoseError::Key);
        }
        serde_json::from_value(value.clone()).map_err(|_| JoseError::Key)
    }
}

/// A JWS taken apart, not yet verified.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    input: String,
    signature: Vec<u8>,
}

impl Parsed {
    /// Splits and decodes a compact JWS whose header and payload are JSON objects.
    pub fn new(token: &str) -> Result<Self, JoseError> {
        if token.len() > MAX_JWS_BYTES {
            return Err(JoseError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(JoseError::Malformed);
        };
        let object = |part: &str| -> Result<Map<String, Value>, JoseError> {
            let bytes = b64().decode(part).map_err(|_| JoseError::Malformed)?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(JoseError::Malformed),
            }
        };
        Ok(Self {
            header: object(header)?,
            claims: object(payload)?,
            input: format!("{header}.{payload}"),
            signature: b64().decode(signature).map_err(|_| JoseError::Malformed)?,
        })
    }

    /// The header's `alg`, if it is one of `accepted`.
    pub fn alg(&self, accepted: &[Alg]) -> Result<Alg, JoseError> {
        self.header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(Alg::parse)
            .filter(|alg| accepted.contains(alg))
            .ok_or(JoseError::Algorithm)
    }

    /// A string header member.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// A string claim.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// An integer claim.
    pub fn claim_i64(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }

    /// Verifies the signature with `key`, whose algorithm must be the
    /// header's and one of `accepted`.
    pub fn verify(&self, key: &PublicKey, accepted: &[Alg]) -> Result<(), JoseError> {
        let alg = self.alg(accepted)?;
        if alg != key.alg() {
            return Err(JoseError::Algorithm);
        }
        key.verify(self.input.as_bytes(), &self.signature)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rand::SeedableRng;

    fn rng() -> rand_chacha::ChaCha8Rng {
        rand_chacha::ChaCha8Rng::seed_from_u64(27)
    }

    #[test]
    fn es256_and_sm2_tokens_verify_with_their_own_key_only() {
        let es = Es256SigningKey::generate(&mut rng());
        let sm = Sm2SigningKey::generate(&mut rng(), "t").unwrap();
        let claims = json!({ "sub": "x", "n": 1 });
        for (signer, public, other) in [
            (
                Signer::Es256(&es),
                PublicKey::Es256(es.verifying_key()),
                PublicKey::Sm2(sm.verifying_key()),
            ),
            (
                Signer::Sm2(&sm),
                PublicKey::Sm2(sm.verifying_key()),
                PublicKey::Es256(es.verifying_key()),
            ),
        ] {
            let token = signer.sign("JWT", &claims).unwrap();
            let parsed = Parsed::new(&token).unwrap();
            parsed.verify(&public, &[Alg::Es256, Alg::Sm2]).unwrap();
            assert_eq!(parsed.claim_str("sub"), Some("x"));
            assert_eq!(parsed.verify(&other, &[Alg::Es256, Alg::Sm2]), Err(JoseError::Algorithm));
            assert_eq!(parsed.verify(&public, &[]), Err(JoseError::Algorithm), "the caller's list decides");
            let mut parts: Vec<&str> = token.split('.').collect();
            let forged = b64().encode(json!({ "sub": "y", "n": 1 }).to_string());
            parts[1] = &forged;
            assert_eq!(
                Parsed::new(&parts.join(".")).unwrap().verify(&public, &[Alg::Es256, Alg::Sm2]),
                Err(JoseError::Signature)
            );
        }
    }

    #[test]
    fn none_and_malformed_tokens_are_refused() {
        let es = Es256SigningKey::generate(&mut rng());
        let none = format!("{}.{}.", b64().encode(r#"{"alg":"none"}"#), b64().encode(r#"{"sub":"x"}"#));
        let parsed = Parsed::new(&none).unwrap();
        assert_eq!(
            parsed.verify(&PublicKey::Es256(es.verifying_key()), &[Alg::Es256]),
            Err(JoseError::Algorithm)
        );
        for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(Parsed::new(bad).err(), Some(JoseError::Malformed), "{bad}");
        }
    }

    #[test]
    fn jwks_round_trip_and_thumbprints_follow_rfc_7638() {
        let es = Es256SigningKey::generate(&mut rng());
        let jwk = Jwk::from_es256(&es.verifying_key());
        let back = Jwk::from_value(&serde_json::to_value(&jwk).unwrap()).unwrap();
        assert!(matches!(back.public_key().unwrap(), PublicKey::Es256(_)));
        let sm = Sm2SigningKey::generate(&mut rng(), "t").unwrap();
        assert!(matches!(
            Jwk::from_sm2(&sm.verifying_key()).public_key().unwrap(),
            PublicKey::Sm2(_)
        ));
        // The DPoP proof key of RFC 9449's examples; its `jkt` there.
        let sample = Jwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs".into(),
            y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA".into(),
            kid: None,
            alg: None,
            use_: None,
        };
        assert_eq!(sample.thumbprint(), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
        let mut private = serde_json::to_value(&jwk).unwrap();
        private["d"] = json!("AAAA");
        assert_eq!(Jwk::from_value(&private).err(), Some(JoseError::Key));
    }
}
