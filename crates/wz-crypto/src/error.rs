//! The one error type of the crypto crate.

/// What went wrong in a cryptographic operation. Messages never carry key
/// material, plaintext or personal data.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// A key could not be parsed from PEM, DER or raw bytes.
    #[error("malformed {0} key")]
    MalformedKey(&'static str),
    /// A signature had the wrong length or encoding.
    #[error("malformed signature")]
    MalformedSignature,
    /// A well-formed signature did not verify under the given key.
    #[error("signature verification failed")]
    BadSignature,
    /// Ciphertext was truncated, tampered with, bound to other associated
    /// data, or sealed under another key.
    #[error("decryption failed: ciphertext was altered or the key is wrong")]
    DecryptionFailed,
    /// Encoding a key to PEM failed.
    #[error("key encoding failed")]
    Encoding,
}
