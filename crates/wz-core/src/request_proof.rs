//! Signed requests from wallets and trusted terminals: an SM2 signature by
//! the caller's key over the method, path, a time stamp, a nonce and the
//! body, so a request cannot be altered, sent by another key, or replayed
//! outside a short window (the verifier also keeps each nonce once).
//!
//! Signed message: `"wz-request/1\0" || method || "\0" || path || "\0" ||
//! timestamp_ms (i64 BE) || nonce (16) || SM3(body)`. On the wire the proof
//! travels in the headers `x-wz-signer`, `x-wz-timestamp`, `x-wz-nonce` and
//! `x-wz-signature` (docs/credential-format.md).

use wz_crypto::{sm3, Sm2Signature, Sm2SigningKey, Sm2VerifyingKey};

use crate::ResultCode;

const DOMAIN: &[u8] = b"wz-request/1\0";
/// How far a request's time stamp may be from the verifier's clock.
pub const REQUEST_WINDOW_MS: i64 = 120_000;

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// A wallet, named by its device public key (SEC1, hex).
    Device(Vec<u8>),
    /// A registered trusted terminal, by id.
    Terminal(String),
    /// A relying party with a registered request key, by client id.
    RelyingParty(String),
}

impl Signer {
    /// `device:<hex>` or `terminal:<id>`.
    pub fn to_header(&self) -> String {
        match self {
            Self::Device(key) => format!("device:{}", hex::encode(key)),
            Self::Terminal(id) => format!("terminal:{id}"),
            Self::RelyingParty(id) => format!("rp:{id}"),
        }
    }

    /// Parses [`Signer::to_header`].
    pub fn parse(text: &str) -> Option<Self> {
        match text.split_once(':')? {
            ("device", key) if key.len() <= 200 => hex::decode(key).ok().map(Self::Device),
            ("terminal", id) if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
                Some(Self::Terminal(id.to_owned()))
            }
            ("rp", id) if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
                Some(Self::RelyingParty(id.to_owned()))
            }
            _ => None,
        }
    }
}

/// Why a signed request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Headers missing or malformed, or the signature does not verify.
    #[error("request signature invalid")]
    SignatureInvalid,
    /// Outside the time window, or the nonce was already used.
    #[error("request stale or replayed")]
    Replayed,
}

impl From<ProofError> for ResultCode {
    fn from(error: ProofError) -> Self {
        match error {
            ProofError::SignatureInvalid => Self::RequestSignatureInvalid,
            ProofError::Replayed => Self::RequestReplayed,
        }
    }
}

/// What a signature covers besides time and nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTarget<'a> {
    /// HTTP method, upper case.
    pub method: &'a str,
    /// Path, without scheme, host or query.
    pub path: &'a str,
    /// Raw body bytes.
    pub body: &'a [u8],
}

/// The proof part of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestProof {
    /// Who claims to have signed.
    pub signer: Signer,
    /// Caller's clock, Unix milliseconds.
    pub timestamp_ms: i64,
    /// Random per request.
    pub nonce: [u8; 16],
    /// SM2 signature.
    pub signature: Sm2Signature,
}

impl RequestProof {
    /// The proof carried by the four `x-wz-*` header values (signer,
    /// Unix-millisecond timestamp, 32-hex nonce, 128-hex signature);
    /// `None` when any is malformed. Nothing is verified here.
    pub fn from_headers(signer: &str, timestamp: &str, nonce: &str, signature: &str) -> Option<Self> {
        Some(Self {
            signer: Signer::parse(signer)?,
            timestamp_ms: timestamp.parse().ok()?,
            nonce: hex::decode(nonce).ok()?.try_into().ok()?,
            signature: Sm2Signature::from_hex(signature).ok()?,
        })
    }
}

fn message(target: RequestTarget<'_>, timestamp_ms: i64, nonce: &[u8; 16]) -> Vec<u8> {
    let mut data = DOMAIN.to_vec();
    data.extend_from_slice(target.method.as_bytes());
    data.push(0);
    data.extend_from_slice(target.path.as_bytes());
    data.push(0);
    data.extend_from_slice(&timestamp_ms.to_be_bytes());
    data.extend_from_slice(nonce);
    data.extend_from_slice(&sm3(target.body));
    data
}

impl RequestProof {
    /// Signs a request (wallet or terminal side).
    pub fn sign(
        key: &Sm2SigningKey,
        signer: Signer,
        target: RequestTarget<'_>,
        timestamp_ms: i64,
        nonce: [u8; 16],
    ) -> Result<Self, ProofError> {
        let signature = key
            .sign(&message(target, timestamp_ms, &nonce))
            .map_err(|_| ProofError::SignatureInvalid)?;
        Ok(Self {
            signer,
            timestamp_ms,
            nonce,
            signature,
        })
    }

    /// The four header values, by header name.
    pub fn to_headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("x-wz-signer", self.signer.to_header()),
            ("x-wz-timestamp", self.timestamp_ms.to_string()),
            ("x-wz-nonce", hex::encode(self.nonce)),
            ("x-wz-signature", self.signature.to_hex()),
        ]
    }

    /// [`RequestProof::verify`] for a P-256 key (ES256, `r || s`).
    pub fn verify_es256(&self, key: &wz_crypto::Es256VerifyingKey, target: RequestTarget<'_>, now_ms: i64) -> Result<(), ProofError> {
        key.verify(&message(target, self.timestamp_ms, &self.nonce), &self.signature.to_bytes())
            .map_err(|_| ProofError::SignatureInvalid)?;
        if (now_ms - self.timestamp_ms).abs() > REQUEST_WINDOW_MS {
            return Err(ProofError::Replayed);
        }
        Ok(())
    }

    /// Checks the signature under `key` and the time window at `now_ms`.
    /// The caller must still record the nonce as used.
    pub fn verify(&self, key: &Sm2VerifyingKey, target: RequestTarget<'_>, now_ms: i64) -> Result<(), ProofError> {
        key.verify(&message(target, self.timestamp_ms, &self.nonce), &self.signature)
            .map_err(|_| ProofError::SignatureInvalid)?;
        if (now_ms - self.timestamp_ms).abs() > REQUEST_WINDOW_MS {
            return Err(ProofError::Replayed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn key(seed: u64) -> Sm2SigningKey {
        Sm2SigningKey::generate(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed), "device").unwrap()
    }

    #[test]
    fn an_es256_signed_request_verifies_only_as_sent() {
        let es = wz_crypto::Es256SigningKey::generate(&mut rand_chacha::ChaCha8Rng::seed_from_u64(9));
        let target = RequestTarget {
            method: "POST",
            path: "/v1/authentications",
            body: b"{}",
        };
        let signature = es.sign(&message(target, 5_000, &[1; 16])).unwrap();
        let proof = RequestProof {
            signer: Signer::RelyingParty("rp-1".into()),
            timestamp_ms: 5_000,
            nonce: [1; 16],
            signature: Sm2Signature::from_slice(&signature).unwrap(),
        };
        assert_eq!(proof.verify_es256(&es.verifying_key(), target, 5_100), Ok(()));
        let other = RequestTarget { body: b"{ }", ..target };
        assert_eq!(
            proof.verify_es256(&es.verifying_key(), other, 5_100),
            Err(ProofError::SignatureInvalid)
        );
        assert_eq!(proof.verify_es256(&es.verifying_key(), target, 500_000), Err(ProofError::Replayed));
        assert_eq!(Signer::parse("rp:rp-1"), Some(Signer::RelyingParty("rp-1".into())));
    }

    #[test]
    fn a_signed_request_verifies_only_as_sent() {
        let device = key(1);
        let signer = Signer::Device(device.verifying_key().to_sec1_bytes());
        let target = |path, body| RequestTarget {
            method: "POST",
            path,
            body,
        };
        let proof = RequestProof::sign(&device, signer.clone(), target("/v1/x", b"{}"), 1_000_000, [3; 16]).unwrap();
        let public = device.verifying_key();
        let check = |key: &Sm2VerifyingKey, path, body, now| proof.verify(key, target(path, body), now);
        assert_eq!(check(&public, "/v1/x", b"{}", 1_000_500), Ok(()));
        assert_eq!(check(&public, "/v1/x", b"{ }", 1_000_500), Err(ProofError::SignatureInvalid));
        assert_eq!(check(&public, "/v1/y", b"{}", 1_000_500), Err(ProofError::SignatureInvalid));
        assert_eq!(
            check(&key(2).verifying_key(), "/v1/x", b"{}", 1_000_500),
            Err(ProofError::SignatureInvalid)
        );
        assert_eq!(
            check(&public, "/v1/x", b"{}", 1_000_000 + REQUEST_WINDOW_MS + 1),
            Err(ProofError::Replayed)
        );
        assert_eq!(Signer::parse(&signer.to_header()), Some(signer));
        assert_eq!(Signer::parse("terminal:t-1a"), Some(Signer::Terminal("t-1a".into())));
        for bad in ["terminal:", "terminal:a b", "device:zz", "nobody:x", "device"] {
            assert_eq!(Signer::parse(bad), None, "{bad}");
        }
    }
}
