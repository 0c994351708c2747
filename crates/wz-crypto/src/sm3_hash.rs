//! SM3 hashing (GB/T 32905-2016) and HMAC-SM3 (RFC 2104 over SM3).

use hmac::{Hmac, KeyInit, Mac};
use sm3::{Digest, Sm3};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A 32-byte SM3 digest.
pub type Sm3Digest = [u8; 32];

/// SM3 of `data`.
pub fn sm3(data: &[u8]) -> Sm3Digest {
    Sm3::digest(data).into()
}

/// SM3 of the concatenation of `parts`, without copying them together.
pub fn sm3_parts(parts: &[&[u8]]) -> Sm3Digest {
    let mut hasher = Sm3::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Whether two byte strings are equal, in time that depends only on their
/// lengths (for secrets, tags and digests).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// HMAC-SM3 of `data` under `key`.
pub fn hmac_sm3(key: &[u8], data: &[u8]) -> Sm3Digest {
    // HMAC accepts keys of any length, so new_from_slice cannot fail.
    match Hmac::<Sm3>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

/// The SM2 user information hash Z_A of GB/T 32918.2-2016, 5.5:
/// `SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A)`, where the
/// public key is given as its SEC1 uncompressed encoding (`04 || x || y`).
/// Returns `None` for an identifier longer than 8191 bytes or a key that is
/// not 65 bytes of uncompressed SEC1.
pub fn sm3_user_hash_za(distinguishing_id: &[u8], sec1_uncompressed: &[u8]) -> Option<Sm3Digest> {
    // GB/T 32918.5-2017, recommended curve parameters.
    const A: &str = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC";
    const B: &str = "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93";
    const GX: &str = "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7";
    const GY: &str = "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0";
    let entl = u16::try_from(distinguishing_id.len().checked_mul(8)?).ok()?;
    if sec1_uncompressed.len() != 65 || sec1_uncompressed[0] != 0x04 {
        return None;
    }
    let mut hasher = Sm3::new();
    hasher.update(entl.to_be_bytes());
    hasher.update(distinguishing_id);
    for constant in [A, B, GX, GY] {
        hasher.update(hex::decode(constant).ok()?);
    }
    hasher.update(&sec1_uncompressed[1..]);
    Some(hasher.finalize().into())
}

/// A secret key for HMAC-SM3, zeroized on drop.
///
/// # Security
/// `Debug` prints no key bytes; [`MacKey::verify`] compares in constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MacKey([u8; 32]);

impl MacKey {
    /// Wraps 32 secret bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Draws a fresh key from `rng`.
    pub fn generate(rng: &mut (impl crate::RngCore + crate::CryptoRng)) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The secret bytes, for writing the key file.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }

    /// HMAC-SM3 of `data` under this key.
    pub fn mac(&self, data: &[u8]) -> Sm3Digest {
        hmac_sm3(&self.0, data)
    }

    /// Checks `tag` against the MAC of `data` in constant time.
    pub fn verify(&self, data: &[u8], tag: &[u8]) -> bool {
        self.mac(data).ct_eq(tag).into()
    }

    /// A check value that tells keys apart without revealing them.
    pub fn check_value(&self) -> String {
        check_value(&self.0)
    }
}

/// Domain of [`check_value`].
const CHECK_VALUE_DOMAIN: &[u8] = b"wz key check value v1";

/// A key check value: the first 8 bytes of HMAC-SM3 under the secret of a
/// fixed message, in hex. Equal keys give equal values; HMAC being a PRF,
/// the value says nothing else about the key.
pub fn check_value(secret: &[u8]) -> String {
    hex::encode(&hmac_sm3(secret, CHECK_VALUE_DOMAIN)[..8])
}

impl std::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MacKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HMAC built by hand from its definition (RFC 2104), to check that the
    /// library's construction over SM3 is the standard one.
    fn hmac_by_definition(key: &[u8], data: &[u8]) -> Sm3Digest {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&sm3(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let inner_pad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
        let outer_pad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
        let inner = sm3(&[inner_pad.as_slice(), data].concat());
        sm3(&[outer_pad.as_slice(), &inner].concat())
    }

    #[test]
    fn hmac_matches_rfc2104_definition_for_short_and_long_keys() {
        for key_len in [0usize, 16, 32, 64, 65, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| i as u8).collect();
            let data = b"WangZheng audit entry";
            assert_eq!(hmac_sm3(&key, data), hmac_by_definition(&key, data), "key length {key_len}");
        }
    }

    #[test]
    fn mac_key_verify_rejects_a_flipped_bit() {
        let key = MacKey::from_bytes([7; 32]);
        let mut tag = key.mac(b"abc");
        assert!(key.verify(b"abc", &tag));
        tag[31] ^= 1;
        assert!(!key.verify(b"abc", &tag));
        assert!(!key.verify(b"abc", &tag[..31]));
    }

    #[test]
    fn mac_key_debug_is_redacted() {
        assert_eq!(format!("{:?}", MacKey::from_bytes([0xAB; 32])), "MacKey(<redacted>)");
    }
}
