//! SM4 in GCM mode (RFC 8998) for data at rest.
//!
//! Sealed layout: `nonce (12) || ciphertext || tag (16)`. The caller supplies
//! the nonce from its RNG; with random 96-bit nonces one key should seal fewer
//! than 2^32 messages (NIST SP 800-38D, 8.3), far above a registry's size.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::AesGcm;
use sm4::cipher::consts::U12;
use sm4::Sm4;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::CryptoError;

/// Nonce length of SM4-GCM in bytes.
pub const SM4_GCM_NONCE_LEN: usize = 12;
/// Authentication tag length of SM4-GCM in bytes.
pub const SM4_GCM_TAG_LEN: usize = 16;

type Sm4Gcm = AesGcm<Sm4, U12>;

/// A 128-bit SM4 key, zeroized on drop.
///
/// # Security
/// `Debug` prints no key bytes. Associated data binds a ciphertext to its
/// row (the lookup key), so a sealed record moved to another row fails to open.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Sm4Key([u8; 16]);

impl Sm4Key {
    /// Wraps 16 secret bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Draws a fresh key from `rng`.
    pub fn generate(rng: &mut (impl crate::RngCore + crate::CryptoRng)) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The secret bytes, for writing the key file.
    pub fn expose_secret(&self) -> &[u8; 16] {
        &self.0
    }

    /// A check value that tells keys apart without revealing them.
    pub fn check_value(&self) -> String {
        crate::sm3_hash::check_value(&self.0)
    }

    fn cipher(&self) -> Sm4Gcm {
        Sm4Gcm::new(&self.0.into())
    }

    /// Encrypts and authenticates `plaintext` with `associated_data` under
    /// `nonce`, which must never repeat under this key.
    pub fn seal_with_nonce(
        &self,
        nonce: [u8; SM4_GCM_NONCE_LEN],
        associated_data: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let body = self
            .cipher()
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad: associated_data,
                },
            )
            .map_err(|_| CryptoError::Encoding)?;
        let mut sealed = Vec::with_capacity(SM4_GCM_NONCE_LEN + body.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// Encrypts with a fresh random nonce drawn from `rng`.
    pub fn seal(
        &self,
        rng: &mut (impl crate::RngCore + crate::CryptoRng),
        associated_data: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; SM4_GCM_NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        self.seal_with_nonce(nonce, associated_data, plaintext)
    }

    /// Verifies and decrypts a value produced by [`Sm4Key::seal`].
    pub fn open(&self, associated_data: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < SM4_GCM_NONCE_LEN + SM4_GCM_TAG_LEN {
            return Err(CryptoError::DecryptionFailed);
        }
        let (nonce, body) = sealed.split_at(SM4_GCM_NONCE_LEN);
        let nonce: [u8; SM4_GCM_NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::DecryptionFailed)?;
        self.cipher()
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: body,
                    aad: associated_data,
                },
            )
            .map_err(|_| CryptoError::DecryptionFailed)
    }
}

impl std::fmt::Debug for Sm4Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sm4Key(<redacted>)")
    }
}

/// One SM4 block encryption, exposed for the GB/T 32907 known-answer tests.
#[doc(hidden)]
pub fn sm4_encrypt_block(key: &[u8; 16], block: &mut [u8; 16]) {
    use sm4::cipher::{BlockCipherEncrypt, KeyInit};
    let cipher = Sm4::new(key.into());
    cipher.encrypt_block(block.into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn open_inverts_seal(key in any::<[u8; 16]>(), nonce in any::<[u8; 12]>(),
                             aad in proptest::collection::vec(any::<u8>(), 0..64),
                             msg in proptest::collection::vec(any::<u8>(), 0..512)) {
            let key = Sm4Key::from_bytes(key);
            let sealed = key.seal_with_nonce(nonce, &aad, &msg).unwrap();
            prop_assert_eq!(key.open(&aad, &sealed).unwrap(), msg);
        }

        #[test]
        fn any_flipped_bit_fails_to_open(key in any::<[u8; 16]>(), nonce in any::<[u8; 12]>(),
                                         msg in proptest::collection::vec(any::<u8>(), 0..128),
                                         bit in any::<proptest::sample::Index>()) {
            let key = Sm4Key::from_bytes(key);
            let mut sealed = key.seal_with_nonce(nonce, b"row", &msg).unwrap();
            let bit = bit.index(sealed.len() * 8);
            sealed[bit / 8] ^= 1 << (bit % 8);
            prop_assert_eq!(key.open(b"row", &sealed), Err(CryptoError::DecryptionFailed));
        }
    }

    #[test]
    fn other_associated_data_or_key_fails() {
        let key = Sm4Key::from_bytes([1; 16]);
        let sealed = key.seal_with_nonce([2; 12], b"row-a", b"secret").unwrap();
        assert_eq!(key.open(b"row-b", &sealed), Err(CryptoError::DecryptionFailed));
        assert_eq!(
            Sm4Key::from_bytes([3; 16]).open(b"row-a", &sealed),
            Err(CryptoError::DecryptionFailed)
        );
        assert_eq!(key.open(b"row-a", &sealed[..20]), Err(CryptoError::DecryptionFailed));
    }
}
