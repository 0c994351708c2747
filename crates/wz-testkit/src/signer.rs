//! Wallet and terminal signers for end-to-end tests, on the real clock.

use std::sync::Arc;

use wz_client::{KeySigner, NowMs};
use wz_core::{unix_ms, Signer};
use wz_crypto::Sm2SigningKey;
use wz_service::{Clock, EntropyRng, OsEntropy, SystemClock};

fn now() -> NowMs {
    Arc::new(|| unix_ms(SystemClock.now()))
}

/// A fresh SM2 key.
pub fn fresh_key(prefix: &str) -> Sm2SigningKey {
    Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), prefix).unwrap()
}

/// A wallet with a fresh device key.
pub fn wallet() -> KeySigner {
    KeySigner::device(fresh_key("device"), now())
}

/// Signs as the registered terminal `id` with `key`.
pub fn terminal_signer(id: &str, key: Sm2SigningKey) -> KeySigner {
    KeySigner::terminal(id, key, now())
}

/// Claims to be `signer` while signing with `key`.
pub fn impostor(signer: Signer, key: Sm2SigningKey) -> KeySigner {
    KeySigner::claiming(signer, key, now())
}

/// Signs as relying party `id` with `key`.
pub fn rp_signer(id: &str, key: Sm2SigningKey) -> KeySigner {
    KeySigner::relying_party(id, key, now())
}
