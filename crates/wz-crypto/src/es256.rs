//! ES256 (ECDSA P-256 with SHA-256, RFC 7518 3.4) for international JOSE
//! clients that cannot verify SM2.

use p256::ecdsa::signature::{Signer, Verifier};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use zeroize::Zeroizing;

use crate::{CryptoError, KeyId};

/// A P-256 private key with its key id.
#[derive(Clone)]
pub struct Es256SigningKey {
    inner: p256::ecdsa::SigningKey,
    key_id: KeyId,
}

impl Es256SigningKey {
    fn wrap(inner: p256::ecdsa::SigningKey) -> Self {
        let sec1 = inner.verifying_key().to_sec1_point(false);
        let key_id = KeyId::derive("es256", sec1.as_bytes());
        Self { inner, key_id }
    }

    /// Draws a new key from `rng`: 32 bytes until they are a scalar in
    /// range (all but about one draw in 2^32 are).
    pub fn generate(rng: &mut (impl crate::RngCore + crate::CryptoRng)) -> Self {
        loop {
            let mut bytes = Zeroizing::new([0u8; 32]);
            rng.fill_bytes(bytes.as_mut_slice());
            if let Ok(inner) = p256::ecdsa::SigningKey::from_slice(bytes.as_slice()) {
                return Self::wrap(inner);
            }
        }
    }

    /// Reads a PKCS#8 PEM private key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, CryptoError> {
        p256::ecdsa::SigningKey::from_pkcs8_pem(pem)
            .map(Self::wrap)
            .map_err(|_| CryptoError::MalformedKey("P-256"))
    }

    /// Writes the key as PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, CryptoError> {
        self.inner.to_pkcs8_pem(LineEnding::LF).map_err(|_| CryptoError::Encoding)
    }

    /// The key id.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> Es256VerifyingKey {
        Es256VerifyingKey {
            inner: *self.inner.verifying_key(),
            key_id: self.key_id.clone(),
        }
    }

    /// Signs `message`; the result is the 64-byte JOSE form `r || s`.
    pub fn sign(&self, message: &[u8]) -> Result<[u8; 64], CryptoError> {
        let signature: p256::ecdsa::Signature = self.inner.try_sign(message).map_err(|_| CryptoError::Encoding)?;
        signature.to_bytes().as_slice().try_into().map_err(|_| CryptoError::Encoding)
    }
}

impl std::fmt::Debug for Es256SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Es256SigningKey({})", self.key_id)
    }
}

/// A P-256 public key with its key id.
#[derive(Clone, Debug)]
pub struct Es256VerifyingKey {
    inner: p256::ecdsa::VerifyingKey,
    key_id: KeyId,
}

impl Es256VerifyingKey {
    /// Parses a SEC1 encoded public key.
    pub fn from_sec1_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let inner = p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes).map_err(|_| CryptoError::MalformedKey("P-256"))?;
        let key_id = KeyId::derive("es256", inner.to_sec1_point(false).as_bytes());
        Ok(Self { inner, key_id })
    }

    /// SEC1 uncompressed encoding.
    pub fn to_sec1_bytes(&self) -> Vec<u8> {
        self.inner.to_sec1_point(false).as_bytes().to_vec()
    }

    /// The affine coordinates (x, y), for a JWK.
    pub fn coordinates(&self) -> ([u8; 32], [u8; 32]) {
        let point = self.inner.to_sec1_point(false);
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        if let (Some(px), Some(py)) = (point.x(), point.y()) {
            x.copy_from_slice(px);
            y.copy_from_slice(py);
        }
        (x, y)
    }

    /// The key id.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// Verifies a 64-byte `r || s` signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let signature = p256::ecdsa::Signature::from_slice(signature).map_err(|_| CryptoError::MalformedSignature)?;
        self.inner.verify(message, &signature).map_err(|_| CryptoError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn sign_verify_and_pem_round_trip() {
        let key = Es256SigningKey::generate(&mut rand_chacha::ChaCha8Rng::seed_from_u64(9));
        let restored = Es256SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem().unwrap()).unwrap();
        assert_eq!(key.key_id(), restored.key_id());
        let signature = restored.sign(b"payload").unwrap();
        key.verifying_key().verify(b"payload", &signature).unwrap();
        assert_eq!(key.verifying_key().verify(b"payloaD", &signature), Err(CryptoError::BadSignature));
        let public = Es256VerifyingKey::from_sec1_bytes(&key.verifying_key().to_sec1_bytes()).unwrap();
        assert_eq!(public.key_id(), key.key_id());
    }
}
