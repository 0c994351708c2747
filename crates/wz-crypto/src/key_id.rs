//! Key identifiers published with `/v1/keys`.

use std::fmt;

/// Short, stable identifier of a public key: an algorithm prefix and the first
/// 8 bytes of SM3 over the key's SEC1 uncompressed encoding, hex encoded.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// Derives the identifier of a public key from its SEC1 encoding.
    pub fn derive(prefix: &str, sec1_public_key: &[u8]) -> Self {
        let digest = crate::sm3(sec1_public_key);
        Self(format!("{prefix}-{}", hex::encode(&digest[..8])))
    }

    /// Wraps an identifier read back from a stored or received document.
    pub fn from_string(value: String) -> Self {
        Self(value)
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}
