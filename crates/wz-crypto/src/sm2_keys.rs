//! SM2 signatures (GB/T 32918.2-2016) with the user-ID (Z_A) rule.
//!
//! Every signature covers `SM3(Z_A || M)`, where Z_A binds the signer's
//! distinguishing identifier and public key. We use the default identifier of
//! GB/T 35276-2017, 5.3 ("1234567812345678") unless a caller names another.
//!
//! The arithmetic is RustCrypto's `sm2` crate (fiat-crypto field code, a
//! precomputed basepoint table). Signing and verification are written out
//! here, a few lines each over the crate's scalar and point types, for two
//! savings the crate's own `SigningKey`/`VerifyingKey` do not make: a key
//! keeps `(1 + d)^-1`, which signing otherwise recomputes (a scalar
//! inversion) on every call, and verification, whose inputs are all public,
//! uses variable-time scalar multiplication. Signatures are the crate's,
//! bit for bit (a test holds them equal), and Z_A is computed once per key.

use pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use sm2::elliptic_curve::ops::Reduce;
use sm2::elliptic_curve::point::AffineCoordinates;
use sm2::elliptic_curve::sec1::ToSec1Point;
use sm2::elliptic_curve::{Curve, Group, PrimeField};
use sm2::{FieldBytes, NonZeroScalar, ProjectivePoint, Scalar, Sm2, U256};
use zeroize::Zeroizing;

use crate::sm3_hash::{sm3_parts, sm3_user_hash_za};
use crate::{CryptoError, KeyId};

use sm2::pkcs8;

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

    /// `r` and `s`, each in `[1, n-1]` (GB/T 32918.2-2016, 7.1 B1–B2).
    fn scalars(&self) -> Result<(Scalar, Scalar), CryptoError> {
        let scalar = |bytes: &[u8]| {
            let repr = FieldBytes::try_from(bytes).map_err(|_| CryptoError::MalformedSignature)?;
            Option::<NonZeroScalar>::from(NonZeroScalar::from_repr(repr))
                .map(|s| *s)
                .ok_or(CryptoError::BadSignature)
        };
        Ok((scalar(&self.0[..32])?, scalar(&self.0[32..])?))
    }
}

impl std::fmt::Debug for Sm2Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sm2Signature({})", self.to_hex())
    }
}

/// `e` of GB/T 32918.2-2016, 6.1 A5: the 32-byte digest as an integer mod n.
fn digest_scalar(digest: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce(&U256::from_be_slice(digest))
}

/// An SM2 private key with its key id.
///
/// # Security
/// `d` and `(1 + d)^-1` are held in [`Zeroizing`] and wiped on drop; the
/// per-signature nonce `k` and the products with `d` are stack values the
/// compiler may leave behind (as in the crate). Signing is constant time in
/// the secrets: the basepoint multiplication, the RFC 6979 generator and
/// the scalar arithmetic are. `Debug` shows only the key id.
#[derive(Clone)]
pub struct Sm2SigningKey {
    secret: Zeroizing<Scalar>,
    /// `(1 + d)^-1 mod n`, the factor of every `s` (6.1 A6).
    inverse_one_plus_secret: Zeroizing<Scalar>,
    verifying: Sm2VerifyingKey,
}

impl Sm2SigningKey {
    fn from_nonzero(secret: NonZeroScalar, prefix: &str) -> Result<Self, CryptoError> {
        let inverse = Option::<Scalar>::from((*secret + Scalar::ONE).invert()).ok_or(CryptoError::MalformedKey("SM2"))?;
        let public = sm2::PublicKey::from_secret_scalar(&secret);
        let verifying = Sm2VerifyingKey::from_public(public, prefix, DEFAULT_DISTINGUISHING_ID)?;
        Ok(Self {
            secret: Zeroizing::new(*secret),
            inverse_one_plus_secret: Zeroizing::new(inverse),
            verifying,
        })
    }

    /// Draws a new key from `rng`: 32 bytes until they are a usable scalar
    /// (all but about one draw in 2^32 are).
    pub fn generate(rng: &mut (impl crate::RngCore + crate::CryptoRng), prefix: &str) -> Result<Self, CryptoError> {
        loop {
            let mut bytes = Zeroizing::new([0u8; 32]);
            rng.fill_bytes(bytes.as_mut_slice());
            if let Ok(key) = Self::from_scalar_bytes(bytes.as_slice(), prefix) {
                return Ok(key);
            }
        }
    }

    /// Reads a PKCS#8 PEM private key.
    pub fn from_pkcs8_pem(pem: &str, prefix: &str) -> Result<Self, CryptoError> {
        let secret = sm2::SecretKey::from_pkcs8_pem(pem).map_err(|_| CryptoError::MalformedKey("SM2"))?;
        Self::from_nonzero(secret.to_nonzero_scalar(), prefix)
    }

    /// Reads a raw 32-byte private scalar (as held in a simulated card
    /// chip). `d = n - 1` is refused: `1 + d` has no inverse.
    pub fn from_scalar_bytes(bytes: &[u8], prefix: &str) -> Result<Self, CryptoError> {
        let repr = FieldBytes::try_from(bytes).map_err(|_| CryptoError::MalformedKey("SM2"))?;
        let secret = Option::<NonZeroScalar>::from(NonZeroScalar::from_repr(repr)).ok_or(CryptoError::MalformedKey("SM2"))?;
        Self::from_nonzero(secret, prefix)
    }

    /// The raw private scalar, for simulated chips that must carry it.
    pub fn to_scalar_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.secret.to_repr().to_vec())
    }

    /// Writes the key as PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, CryptoError> {
        let secret = Option::<NonZeroScalar>::from(NonZeroScalar::new(*self.secret)).ok_or(CryptoError::Encoding)?;
        sm2::SecretKey::from(secret)
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| CryptoError::Encoding)
    }

    /// The key id derived from the public key.
    pub fn key_id(&self) -> &KeyId {
        &self.verifying.key_id
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> Sm2VerifyingKey {
        self.verifying.clone()
    }

    /// Signs `message` (GB/T 32918.2-2016, 6.1) with a deterministic
    /// nonce (RFC 6979 over SM3, as the `sm2` crate derives it).
    pub fn sign(&self, message: &[u8]) -> Result<Sm2Signature, CryptoError> {
        let digest = sm3_parts(&[&self.verifying.za, message]);
        self.sign_digest(&digest)
    }

    /// Signs a caller-computed `e = SM3(Z_A || M)`.
    ///
    /// # Security
    /// Constant time in `d` and `k`; `k` is never reused for two digests
    /// (it is derived from both `d` and `e`).
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<Sm2Signature, CryptoError> {
        let e = digest_scalar(digest);
        let mut generator = rfc6979::KGenerator::<sm3::Sm3, U256>::new(&self.secret.to_repr(), &e.to_repr(), &[], &Sm2::ORDER);
        let mut k_bytes = Zeroizing::new(FieldBytes::default());
        generator.fill_next_k(&mut k_bytes);
        let k = Zeroizing::new(Option::<Scalar>::from(Scalar::from_repr(*k_bytes)).ok_or(CryptoError::Encoding)?);
        // A6: (x1, y1) = [k]G; r = (e + x1) mod n, retried (here: refused,
        // as the crate does; about one k in 2^256) when r = 0 or r + k = n.
        let point = ProjectivePoint::mul_by_generator(&*k).to_affine();
        let r = e + <Scalar as Reduce<FieldBytes>>::reduce(&point.x());
        if bool::from(r.is_zero() | (r + *k).is_zero()) {
            return Err(CryptoError::Encoding);
        }
        let s = *self.inverse_one_plus_secret * (*k - r * *self.secret);
        if bool::from(s.is_zero()) {
            return Err(CryptoError::Encoding);
        }
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&r.to_repr());
        bytes[32..].copy_from_slice(&s.to_repr());
        Ok(Sm2Signature(bytes))
    }
}

impl std::fmt::Debug for Sm2SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sm2SigningKey({})", self.verifying.key_id)
    }
}

/// An SM2 public key with its key id and its Z_A, computed once.
#[derive(Clone, Debug)]
pub struct Sm2VerifyingKey {
    public: sm2::PublicKey,
    /// Z_A (GB/T 32918.2-2016, 5.5) under the key's distinguishing id.
    za: [u8; 32],
    key_id: KeyId,
}

impl Sm2VerifyingKey {
    fn from_public(public: sm2::PublicKey, prefix: &str, distinguishing_id: &str) -> Result<Self, CryptoError> {
        let sec1 = public.to_sec1_point(false);
        let za = sm3_user_hash_za(distinguishing_id.as_bytes(), sec1.as_bytes()).ok_or(CryptoError::MalformedKey("SM2"))?;
        Ok(Self {
            key_id: KeyId::derive(prefix, sec1.as_bytes()),
            public,
            za,
        })
    }

    /// Parses a SEC1 encoded public key under the default distinguishing id.
    pub fn from_sec1_bytes(bytes: &[u8], prefix: &str) -> Result<Self, CryptoError> {
        Self::from_sec1_bytes_with_id(bytes, prefix, DEFAULT_DISTINGUISHING_ID)
    }

    /// Parses a SEC1 encoded public key under a named distinguishing id.
    pub fn from_sec1_bytes_with_id(bytes: &[u8], prefix: &str, distinguishing_id: &str) -> Result<Self, CryptoError> {
        let public = sm2::PublicKey::from_sec1_bytes(bytes).map_err(|_| CryptoError::MalformedKey("SM2"))?;
        Self::from_public(public, prefix, distinguishing_id)
    }

    /// Parses an SPKI PEM public key.
    pub fn from_public_key_pem(pem: &str, prefix: &str) -> Result<Self, CryptoError> {
        let public = sm2::PublicKey::from_public_key_pem(pem).map_err(|_| CryptoError::MalformedKey("SM2"))?;
        Self::from_public(public, prefix, DEFAULT_DISTINGUISHING_ID)
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
        self.public.to_sec1_point(false).as_bytes().to_vec()
    }

    /// SEC1 compressed encoding `02|03 || x` (33 bytes).
    pub fn to_sec1_compressed_bytes(&self) -> Vec<u8> {
        self.public.to_sec1_point(true).as_bytes().to_vec()
    }

    /// SPKI PEM encoding.
    pub fn to_public_key_pem(&self) -> Result<String, CryptoError> {
        self.public.to_public_key_pem(LineEnding::LF).map_err(|_| CryptoError::Encoding)
    }

    /// The key id.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// Verifies `signature` over `message` (Z_A rule applied inside).
    pub fn verify(&self, message: &[u8], signature: &Sm2Signature) -> Result<(), CryptoError> {
        self.verify_digest(&sm3_parts(&[&self.za, message]), signature)
    }

    /// Verifies a signature over a caller-computed `e = SM3(Z_A || M)`
    /// (GB/T 32918.2-2016, 7.1).
    ///
    /// # Security
    /// Variable time, on purpose and safely: every input — the public key,
    /// the digest of a message the verifier holds, the signature — is
    /// public, so timing reveals nothing an observer does not already have.
    /// No secret scalar ever reaches this function or the variable-time
    /// multiplications it uses; signing uses the constant-time ones.
    pub fn verify_digest(&self, digest: &[u8; 32], signature: &Sm2Signature) -> Result<(), CryptoError> {
        let (r, s) = signature.scalars()?;
        let e = digest_scalar(digest);
        // B5: t = (r + s) mod n, t != 0.
        let t = r + s;
        if bool::from(t.is_zero()) {
            return Err(CryptoError::BadSignature);
        }
        // B6–B7: (x1, y1) = [s]G + [t]P_A, and (e + x1) mod n = r.
        if crate::sm2_verify::x_matches(&s, &t, self.public.as_affine(), &(r - e)) {
            Ok(())
        } else {
            Err(CryptoError::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests;
