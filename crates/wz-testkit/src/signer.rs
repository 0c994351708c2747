//! Signing requests as a wallet or a terminal would, for end-to-end tests.

use wz_client::RequestSigner;
use wz_core::{unix_ms, Credential, RequestProof, RequestTarget, Signer, WalletQr};
use wz_crypto::Sm2SigningKey;
use wz_service::{Clock, Entropy, EntropyRng, OsEntropy, SystemClock};

/// A key that signs requests: a wallet's device key or a terminal's key.
pub struct KeySigner {
    /// The private key.
    pub key: Sm2SigningKey,
    /// Who it signs as.
    pub signer: Signer,
}

impl KeySigner {
    /// A wallet with a fresh device key.
    pub fn device() -> Self {
        let key = Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "device").unwrap();
        Self {
            signer: Signer::Device(key.verifying_key().to_sec1_bytes()),
            key,
        }
    }

    /// A terminal key not yet registered (register `public_hex()` first).
    pub fn terminal_key() -> Sm2SigningKey {
        Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "terminal").unwrap()
    }

    /// Signs as the registered terminal `id`.
    pub fn terminal(id: &str, key: Sm2SigningKey) -> Self {
        Self {
            signer: Signer::Terminal(id.to_owned()),
            key,
        }
    }

    /// The public key, SEC1 hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_sec1_bytes())
    }

    /// A wallet QR code for `credential`, stamped `issued_at_ms`.
    pub fn qr_at(&self, credential: &str, issued_at_ms: i64) -> String {
        let credential = Credential::from_text(credential).unwrap();
        let mut nonce = [0u8; 16];
        OsEntropy.fill(&mut nonce);
        WalletQr::create(&credential, &self.key, issued_at_ms, nonce).unwrap().to_text()
    }

    /// A wallet QR code stamped now.
    pub fn qr(&self, credential: &str) -> String {
        self.qr_at(credential, unix_ms(SystemClock.now()))
    }
}

impl RequestSigner for KeySigner {
    fn headers(&self, method: &str, path: &str, body: &[u8]) -> Vec<(&'static str, String)> {
        let mut nonce = [0u8; 16];
        OsEntropy.fill(&mut nonce);
        let target = RequestTarget { method, path, body };
        RequestProof::sign(&self.key, self.signer.clone(), target, unix_ms(SystemClock.now()), nonce)
            .unwrap()
            .to_headers()
    }
}
