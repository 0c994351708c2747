//! Deriving an SM4 key from a passphrase (argon2id, RFC 9106), for data a
//! person protects with something they remember: the wallet file.

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use crate::{CryptoError, Sm4Key};

/// argon2id cost: 19 MiB, 2 passes, 1 lane (OWASP's first recommendation).
pub const PASSPHRASE_MEMORY_KIB: u32 = 19 * 1024;
/// Passes over memory.
pub const PASSPHRASE_ITERATIONS: u32 = 2;

/// The SM4 key for `passphrase` and a 16-byte `salt`.
///
/// # Security
/// The intermediate key bytes are zeroized; a wrong passphrase yields a key
/// under which the sealed data fails to open (GCM tag), nothing else.
pub fn key_from_passphrase(passphrase: &[u8], salt: &[u8; 16], memory_kib: u32, iterations: u32) -> Result<Sm4Key, CryptoError> {
    let params = Params::new(memory_kib, iterations, 1, Some(16)).map_err(|_| CryptoError::MalformedKey("argon2 parameters"))?;
    let mut bytes = Zeroizing::new([0u8; 16]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, salt, bytes.as_mut())
        .map_err(|_| CryptoError::MalformedKey("argon2 input"))?;
    Ok(Sm4Key::from_bytes(*bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_key_and_a_wrong_passphrase_cannot_open() {
        let salt = [5u8; 16];
        let key = key_from_passphrase(b"correct horse", &salt, 64, 1).unwrap();
        let again = key_from_passphrase(b"correct horse", &salt, 64, 1).unwrap();
        assert_eq!(key.expose_secret(), again.expose_secret());
        let sealed = key.seal_with_nonce([1; 12], b"wallet", b"secret").unwrap();
        let wrong = key_from_passphrase(b"wrong horse", &salt, 64, 1).unwrap();
        assert!(wrong.open(b"wallet", &sealed).is_err());
        assert_eq!(again.open(b"wallet", &sealed).unwrap(), b"secret");
    }
}
