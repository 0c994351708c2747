//! SM2 signatures (GB/T 32918.2-2016) with the user-ID (Z_A) rule.
//!
//! Every signature covers `SM3(Z_A || M)`, where Z_A binds the signer's
//! distinguishing identifier and public key. We use the default identifier of
//! GB/T 35276-2017, 5.3 ("1234567812345678") unless a caller names another.

use pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use sm2::dsa::signature::{Signer, Verifier};
use sm2::elliptic_curve::sec1::ToEncodedPoint;
use zeroize::Zeroizing;

use crate::{CryptoError, KeyId};

/// Default distinguishing identifier, GB/T 35276-2017, 5.3.
pub const DEFAULT_DISTINGUISHING_ID: &str = "1234567812345678";

/// A 64-byte SM2 signature `r || s`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sm2Signature([u8; 64]);

impl Sm2Signature {
    /// Parses 64 bytes `r || s`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let bytes: [u8; 64] = bytes.try_into().map_err(|_| CryptoError::MalformedSignature)?;
        Ok(Self(bytes))
    }

    /// Parses lowercase or uppercase hex.
    pub fn from_hex(text: &str) -> Result<Self, CryptoError> {
        let bytes = hex::decode(text).map_err(|_| CryptoError::MalformedSignature)?;
        Self::from_slice(&bytes)
    }

    /// The raw 64 bytes.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0
    }

    /// Hex encoding of the raw bytes.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for Sm2Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sm2Signature({})", self.to_hex())
    }
}

/// An SM2 private key with its key id.
///
/// # Security
/// The secret scalar is zeroized on drop by the underlying crate; `Debug`
/// shows only the key id.
#[derive(Clone)]
pub struct Sm2SigningKey {
    inner: sm2::dsa::SigningKey,
    key_id: KeyId,
}

impl Sm2SigningKey {
    fn from_secret(secret: &sm2::SecretKey, prefix: &str) -> Result<Self, CryptoError> {
        let inner = sm2::dsa::SigningKey::new(DEFAULT_DISTINGUISHING_ID, secret).map_err(|_| CryptoError::MalformedKey("SM2"))?;
        let sec1 = secret.public_key().to_encoded_point(false);
        Ok(Self {
            inner,
            key_id: KeyId::derive(prefix, sec1.as_bytes()),
        })
    }

    /// Draws a new key from `rng`; `prefix` names its use in the key id.
    pub fn generate(rng: &mut (impl crate::RngCore + crate::CryptoRng), prefix: &str) -> Result<Self, CryptoError> {
        Self::from_secret(&sm2::SecretKey::random(rng), prefix)
    }

    /// Reads a PKCS#8 PEM private key.
    pub fn from_pkcs8_pem(pem: &str, prefix: &str) -> Result<Self, CryptoError> {
        let secret = sm2::SecretKey::from_pkcs8_pem(pem).map_err(|_| CryptoError::MalformedKey("SM2"))?;
        Self::from_secret(&secret, prefix)
    }

    /// Reads a raw 32-byte private scalar (as held in a simulated card chip).
    pub fn from_scalar_bytes(bytes: &[u8], prefix: &str) -> Result<Self, CryptoError> {
        let secret = sm2::SecretKey::from_slice(bytes).map_err(|_| CryptoError::MalformedKey("SM2"))?;
        Self::from_secret(&secret, prefix)
    }

    /// The raw private scalar, for simulated chips that must carry it.
    pub fn to_scalar_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.inner.to_bytes().to_vec())
    }

    /// Writes the key as PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, CryptoError> {
        let secret = sm2::SecretKey::from(self.inner.as_nonzero_scalar());
        secret.to_pkcs8_pem(LineEnding::LF).map_err(|_| CryptoError::Encoding)
    }

    /// The key id derived from the public key.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> Sm2VerifyingKey {
        Sm2VerifyingKey {
            inner: self.inner.verifying_key().clone(),
            key_id: self.key_id.clone(),
        }
    }

    /// Signs `message` (deterministic nonce, RFC 6979 style, as the crate does).
    pub fn sign(&self, message: &[u8]) -> Result<Sm2Signature, CryptoError> {
        let signature: sm2::dsa::Signature = self.inner.try_sign(message).map_err(|_| CryptoError::Encoding)?;
        Sm2Signature::from_slice(&signature.to_bytes())
    }
}

impl std::fmt::Debug for Sm2SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sm2SigningKey({})", self.key_id)
    }
}

/// An SM2 public key with its key id.
#[derive(Clone, Debug)]
pub struct Sm2VerifyingKey {
    inner: sm2::dsa::VerifyingKey,
    key_id: KeyId,
}

impl Sm2VerifyingKey {
    /// Parses a SEC1 encoded public key under the default distinguishing id.
    pub fn from_sec1_bytes(bytes: &[u8], prefix: &str) -> Result<Self, CryptoError> {
        Self::from_sec1_bytes_with_id(bytes, prefix, DEFAULT_DISTINGUISHING_ID)
    }

    /// Parses a SEC1 encoded public key under a named distinguishing id.
    pub fn from_sec1_bytes_with_id(bytes: &[u8], prefix: &str, distinguishing_id: &str) -> Result<Self, CryptoError> {
        let inner = sm2::dsa::VerifyingKey::from_sec1_bytes(distinguishing_id, bytes).map_err(|_| CryptoError::MalformedKey("SM2"))?;
        let sec1 = inner.to_encoded_point(false);
        Ok(Self {
            key_id: KeyId::derive(prefix, sec1.as_bytes()),
            inner,
        })
    }

    /// Parses an SPKI PEM public key.
    pub fn from_public_key_pem(pem: &str, prefix: &str) -> Result<Self, CryptoError> {
        let public = sm2::PublicKey::from_public_key_pem(pem).map_err(|_| CryptoError::MalformedKey("SM2"))?;
        Self::from_sec1_bytes(public.to_encoded_point(false).as_bytes(), prefix)
    }

    /// Parses a key as operators paste it: SPKI PEM, or SEC1 hex.
    pub fn from_text(text: &str, prefix: &str) -> Result<Self, CryptoError> {
        let text = text.trim();
        if text.starts_with("-----BEGIN") {
            return Self::from_public_key_pem(text, prefix);
        }
        let bytes = hex::decode(text).map_err(|_| CryptoError::MalformedKey("SM2"))?;
        Self::from_sec1_bytes(&bytes, prefix)
    }

    /// SEC1 uncompressed encoding `04 || x || y`.
    pub fn to_sec1_bytes(&self) -> Vec<u8> {
        self.inner.to_encoded_point(false).as_bytes().to_vec()
    }

    /// SEC1 compressed encoding `02|03 || x` (33 bytes).
    pub fn to_sec1_compressed_bytes(&self) -> Vec<u8> {
        self.inner.to_encoded_point(true).as_bytes().to_vec()
    }

    /// SPKI PEM encoding.
    pub fn to_public_key_pem(&self) -> Result<String, CryptoError> {
        sm2::PublicKey::from(&self.inner)
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| CryptoError::Encoding)
    }

    /// The key id.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// Verifies `signature` over `message` (Z_A rule applied inside).
    pub fn verify(&self, message: &[u8], signature: &Sm2Signature) -> Result<(), CryptoError> {
        let signature = sm2::dsa::Signature::from_slice(&signature.0).map_err(|_| CryptoError::MalformedSignature)?;
        self.inner.verify(message, &signature).map_err(|_| CryptoError::BadSignature)
    }

    /// Verifies a signature over a caller-computed `e = SM3(Z_A || M)`.
    pub fn verify_digest(&self, digest: &[u8; 32], signature: &Sm2Signature) -> Result<(), CryptoError> {
        use sm2::dsa::signature::hazmat::PrehashVerifier;
        let signature = sm2::dsa::Signature::from_slice(&signature.0).map_err(|_| CryptoError::MalformedSignature)?;
        self.inner.verify_prehash(digest, &signature).map_err(|_| CryptoError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    fn key(seed: u64) -> Sm2SigningKey {
        Sm2SigningKey::generate(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed), "sm2").unwrap()
    }

    #[test]
    fn pem_round_trip_keeps_key_id_and_signatures() {
        let original = key(1);
        let pem = original.to_pkcs8_pem().unwrap();
        let restored = Sm2SigningKey::from_pkcs8_pem(&pem, "sm2").unwrap();
        assert_eq!(original.key_id(), restored.key_id());
        let signature = restored.sign(b"m").unwrap();
        original.verifying_key().verify(b"m", &signature).unwrap();
        let public_pem = original.verifying_key().to_public_key_pem().unwrap();
        Sm2VerifyingKey::from_public_key_pem(&public_pem, "sm2")
            .unwrap()
            .verify(b"m", &signature)
            .unwrap();
    }

    #[test]
    fn signature_from_another_key_fails() {
        let signature = key(1).sign(b"m").unwrap();
        assert_eq!(key(2).verifying_key().verify(b"m", &signature), Err(CryptoError::BadSignature));
    }

    #[test]
    fn garbage_keys_and_signatures_are_rejected() {
        assert!(Sm2SigningKey::from_pkcs8_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "sm2").is_err());
        assert!(Sm2VerifyingKey::from_sec1_bytes(&[4u8; 65], "sm2").is_err());
        assert_eq!(Sm2Signature::from_hex("abcd"), Err(CryptoError::MalformedSignature));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_flipped_bit_of_message_or_signature_fails(seed in any::<u64>(), msg in proptest::collection::vec(any::<u8>(), 1..64), bit in any::<proptest::sample::Index>()) {
            let signer = key(seed);
            let signature = signer.sign(&msg).unwrap();
            let verifier = signer.verifying_key();
            prop_assert!(verifier.verify(&msg, &signature).is_ok());
            let mut bad_msg = msg.clone();
            let i = bit.index(msg.len() * 8);
            bad_msg[i / 8] ^= 1 << (i % 8);
            prop_assert!(verifier.verify(&bad_msg, &signature).is_err());
            let mut bad_sig = signature.to_bytes();
            let j = bit.index(512);
            bad_sig[j / 8] ^= 1 << (j % 8);
            prop_assert!(verifier.verify(&msg, &Sm2Signature::from_slice(&bad_sig).unwrap()).is_err());
        }
    }
}
