//! National cryptography for WangZheng behind a small API: SM3 hashing and
//! HMAC-SM3 (GB/T 32905), SM4-GCM authenticated encryption (GB/T 32907,
//! RFC 8998), SM2 signatures with the GB/T 32918 user-ID rule, and ES256 for
//! international JOSE clients.
//!
//! This crate does no I/O: keys arrive as PEM text or bytes, randomness as an
//! RNG argument. It must not depend on tokio, a database or an HTTP stack.

mod error;
mod es256;
mod key_id;
mod passphrase;
mod sm2_keys;
mod sm2_verify;
mod sm3_hash;
mod sm4_aead;

pub use error::CryptoError;
pub use es256::{Es256SigningKey, Es256VerifyingKey};
pub use key_id::KeyId;
pub use passphrase::{key_from_passphrase, PASSPHRASE_ITERATIONS, PASSPHRASE_MEMORY_KIB};
pub use sm2_keys::{Sm2Signature, Sm2SigningKey, Sm2VerifyingKey, DEFAULT_DISTINGUISHING_ID};
pub use sm3_hash::{constant_time_eq, hmac_sm3, sm3, sm3_parts, sm3_user_hash_za, MacKey, Sm3Digest};
pub use sm4_aead::{sm4_encrypt_block, Sm4Key, SM4_GCM_NONCE_LEN, SM4_GCM_TAG_LEN};

/// Cryptographically secure random source, passed in by the caller.
pub use rand::{CryptoRng, RngCore};
