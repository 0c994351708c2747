//! Signing requests as a wallet or a terminal (feature `signing`): the
//! `x-wz-*` headers of `wz_core::RequestProof`, and wallet QR codes.

use std::sync::Arc;

use rand::RngCore;
use wz_core::{Credential, CredentialError, RequestProof, RequestTarget, Signer, WalletQr};
use wz_crypto::Sm2SigningKey;

use crate::RequestSigner;

/// The current time in Unix milliseconds, supplied by the caller.
pub type NowMs = Arc<dyn Fn() -> i64 + Send + Sync>;

/// A key that signs requests: a wallet's device key or a terminal's key.
#[derive(Clone)]
pub struct KeySigner {
    /// The private key.
    pub key: Sm2SigningKey,
    /// Who it signs as.
    pub signer: Signer,
    now_ms: NowMs,
}

impl KeySigner {
    /// Signs as a wallet with `key`.
    pub fn device(key: Sm2SigningKey, now_ms: NowMs) -> Self {
        Self {
            signer: Signer::Device(key.verifying_key().to_sec1_bytes()),
            key,
            now_ms,
        }
    }

    /// Signs as the registered terminal `id`.
    pub fn terminal(id: &str, key: Sm2SigningKey, now_ms: NowMs) -> Self {
        Self {
            signer: Signer::Terminal(id.to_owned()),
            key,
            now_ms,
        }
    }

    /// Signs as relying party `id` with its registered SM2 request key.
    pub fn relying_party(id: &str, key: Sm2SigningKey, now_ms: NowMs) -> Self {
        Self {
            signer: Signer::RelyingParty(id.to_owned()),
            key,
            now_ms,
        }
    }

    /// Signs as `signer` with a key that may not be its own (tests of refusals).
    pub fn claiming(signer: Signer, key: Sm2SigningKey, now_ms: NowMs) -> Self {
        Self { key, signer, now_ms }
    }

    /// The public key, SEC1 hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_sec1_bytes())
    }

    /// A wallet QR code for `credential` (base64url) with its QR key (hex),
    /// stamped `issued_at_ms`.
    pub fn qr_at(&self, credential: &str, qr_key: &str, issued_at_ms: i64) -> Result<String, CredentialError> {
        let credential = Credential::from_text(credential)?;
        let qr_key: [u8; 32] = hex::decode(qr_key)
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or(CredentialError::Malformed("QR key must be 32 bytes of hex"))?;
        let mut nonce = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        WalletQr::create(&credential, &self.key, &qr_key, issued_at_ms, nonce)
            .map(|code| code.to_text())
            .map_err(|_| CredentialError::Malformed("signing failed"))
    }

    /// A wallet QR code stamped now.
    pub fn qr(&self, credential: &str, qr_key: &str) -> Result<String, CredentialError> {
        self.qr_at(credential, qr_key, (self.now_ms)())
    }
}

impl RequestSigner for KeySigner {
    fn headers(&self, method: &str, path: &str, body: &[u8]) -> Vec<(&'static str, String)> {
        let mut nonce = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let target = RequestTarget { method, path, body };
        match RequestProof::sign(&self.key, self.signer.clone(), target, (self.now_ms)(), nonce) {
            Ok(proof) => proof.to_headers(),
            // Signing with a valid key does not fail; the server refuses the
            // unsigned request with a named code if it ever does.
            Err(_) => Vec::new(),
        }
    }
}
