//! The wallet's dynamic QR code (二维码赋码): the credential, a time stamp
//! and a nonce, signed by the wallet's device key. Valid for about a minute
//! and usable once; the single use is enforced by the verifier's store.
//!
//! Text form: `WZQR1:` + base64url of `CBOR [credential: bstr, issued_at_ms,
//! nonce: bstr(16), signer: bstr(33, SEC1 compressed), signature: bstr(64),
//! mac: bstr(16)]`. The signature is SM2 by the signer over
//! `"wz-wallet-qr/1\0" || SM3(credential) || issued_at_ms (i64 BE) || nonce`;
//! any verifier holding the published platform key can check it offline.
//! The signer's key is carried so a code signed by another device is told
//! apart from a tampered one.
//!
//! The MAC is HMAC-SM3, truncated to 16 bytes, over the signed message
//! followed by the signer (33 bytes) and the signature (64 bytes), so it
//! covers every other field of the code, under the credential's QR key:
//! `HMAC-SM3(platform QR key, domain || serial)`, which the platform hands
//! to the wallet with the credential. It lets the platform accept a code
//! without an SM2 verification; when it does not check, the platform falls
//! back to the signature, so a wrong or missing MAC never makes a code
//! valid, only slower to verify. Because the MAC covers the signer and the
//! signature, a code whose signature was flipped or zeroed fails the MAC
//! and then the signature: the platform refuses what an offline verifier
//! refuses (a security finding: an earlier MAC over the message alone let
//! such a code through the fast path).

use base64::Engine;
use ciborium::Value;
use wz_crypto::{Sm2Signature, Sm2SigningKey, Sm2VerifyingKey};

use crate::credential::{bytes_field, decode, encode, fixed, integer};
use crate::{Credential, CredentialError, ResultCode};

/// Prefix of the text form.
pub const QR_PREFIX: &str = "WZQR1:";
/// How long a code stays valid after it is made.
pub const QR_LIFETIME_MS: i64 = 60_000;
/// How far in the future a code's time stamp may be (wallet clock ahead).
pub const QR_CLOCK_SKEW_MS: i64 = 5_000;
/// Longest text accepted.
const MAX_QR_TEXT: usize = 2048;
const DOMAIN: &[u8] = b"wz-wallet-qr/1\0";
const KEY_DOMAIN: &[u8] = b"wz-wallet-qr-key/1\0";

/// The QR key of the credential `serial` under the platform's QR master key.
pub fn qr_key(master: &wz_crypto::MacKey, serial: &crate::CredentialSerial) -> [u8; 32] {
    master.mac(&[KEY_DOMAIN, serial.as_bytes()].concat())
}

/// The MAC over the signed message, the signer and the signature.
fn tag(qr_key: &[u8; 32], message: &[u8], signer: &[u8], signature: &Sm2Signature) -> [u8; 16] {
    let full = wz_crypto::hmac_sm3(qr_key, &[message, signer, &signature.to_bytes()].concat());
    let mut truncated = [0u8; 16];
    truncated.copy_from_slice(&full[..16]);
    truncated
}

/// Why a wallet QR code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// Not a wallet code of a known version.
    #[error("malformed wallet code: {0}")]
    Malformed(&'static str),
    /// The device signature does not verify: the code was altered.
    #[error("wallet code altered")]
    Tampered,
    /// Correctly signed, but by a device other than the credential's.
    #[error("wallet code signed by another device")]
    WrongDevice,
    /// Older than its lifetime, or stamped too far in the future.
    #[error("wallet code expired")]
    Expired,
    /// Already used once.
    #[error("wallet code already used")]
    Replayed,
    /// The credential inside is refused.
    #[error("credential refused: {0}")]
    Credential(CredentialError),
}

impl From<QrError> for ResultCode {
    fn from(error: QrError) -> Self {
        match error {
            QrError::Malformed(_) => Self::QrMalformed,
            QrError::Tampered => Self::QrTampered,
            QrError::WrongDevice => Self::QrWrongDevice,
            QrError::Expired => Self::QrExpired,
            QrError::Replayed => Self::QrReplayed,
            QrError::Credential(error) => error.into(),
        }
    }
}

/// A parsed wallet code. Nothing in it is trusted until checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletQr {
    /// The credential carried.
    pub credential: Credential,
    /// When the wallet made the code, Unix milliseconds.
    pub issued_at_ms: i64,
    /// Random, unique per code: the single-use key.
    pub nonce: [u8; 16],
    signer: Vec<u8>,
    signature: Sm2Signature,
    mac: [u8; 16],
}

fn message(credential: &Credential, issued_at_ms: i64, nonce: &[u8; 16]) -> Vec<u8> {
    let mut data = DOMAIN.to_vec();
    data.extend_from_slice(&credential.digest());
    data.extend_from_slice(&issued_at_ms.to_be_bytes());
    data.extend_from_slice(nonce);
    data
}

impl WalletQr {
    /// Makes a code (in the wallet) with the device key and the
    /// credential's QR key.
    pub fn create(
        credential: &Credential,
        device_key: &Sm2SigningKey,
        qr_key: &[u8; 32],
        issued_at_ms: i64,
        nonce: [u8; 16],
    ) -> Result<Self, QrError> {
        let message = message(credential, issued_at_ms, &nonce);
        let signature = device_key.sign(&message).map_err(|_| QrError::Malformed("signing failed"))?;
        let signer = device_key.verifying_key().to_sec1_compressed_bytes();
        let mac = tag(qr_key, &message, &signer, &signature);
        Ok(Self {
            credential: credential.clone(),
            issued_at_ms,
            nonce,
            signer,
            signature,
            mac,
        })
    }

    /// Whether the MAC checks under the credential's QR key (constant time).
    pub fn mac_matches(&self, qr_key: &[u8; 32]) -> bool {
        let message = message(&self.credential, self.issued_at_ms, &self.nonce);
        wz_crypto::constant_time_eq(&tag(qr_key, &message, &self.signer, &self.signature), &self.mac)
    }

    /// Whether the code names the credential's own device as its signer
    /// (compressed form of the credential's uncompressed device key),
    /// without any curve arithmetic.
    pub fn signer_is_device(&self) -> bool {
        let device = &self.credential.body().device_key;
        if device.len() != 65 || self.signer.len() != 33 {
            return false;
        }
        let prefix = if device[64] & 1 == 1 { 0x03 } else { 0x02 };
        self.signer[0] == prefix && self.signer[1..] == device[1..33]
    }

    /// The text to put in a QR code.
    pub fn to_text(&self) -> String {
        let value = Value::Array(vec![
            Value::Bytes(self.credential.to_bytes()),
            Value::from(self.issued_at_ms),
            Value::Bytes(self.nonce.to_vec()),
            Value::Bytes(self.signer.clone()),
            Value::Bytes(self.signature.to_bytes().to_vec()),
            Value::Bytes(self.mac.to_vec()),
        ]);
        format!(
            "{QR_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(encode(&value))
        )
    }

    /// Parses scanned text (no signature check).
    pub fn parse(text: &str) -> Result<Self, QrError> {
        let text = text.trim();
        if text.len() > MAX_QR_TEXT {
            return Err(QrError::Malformed("too long"));
        }
        let payload = text.strip_prefix(QR_PREFIX).ok_or(QrError::Malformed("not a wallet code"))?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| QrError::Malformed("not base64url"))?;
        let malformed = |e: CredentialError| match e {
            CredentialError::Malformed(what) => QrError::Malformed(what),
            other => QrError::Credential(other),
        };
        let Value::Array(fields) = decode(&bytes).map_err(malformed)? else {
            return Err(QrError::Malformed("not an array"));
        };
        let [credential, issued_at, nonce, signer, signature, mac] =
            <[Value; 6]>::try_from(fields).map_err(|_| QrError::Malformed("expected 6 fields"))?;
        let credential = Credential::from_bytes(&bytes_field(credential).map_err(malformed)?).map_err(QrError::Credential)?;
        let issued_at_ms = i64::try_from(integer(&issued_at).map_err(malformed)?).map_err(|_| QrError::Malformed("time stamp"))?;
        let signer = bytes_field(signer).map_err(malformed)?;
        if signer.len() != 33 {
            return Err(QrError::Malformed("signer key must be SEC1 compressed"));
        }
        let signature =
            Sm2Signature::from_slice(&bytes_field(signature).map_err(malformed)?).map_err(|_| QrError::Malformed("signature length"))?;
        Ok(Self {
            credential,
            issued_at_ms,
            nonce: fixed(nonce).map_err(malformed)?,
            signer,
            signature,
            mac: fixed(mac).map_err(malformed)?,
        })
    }

    /// Checks the device signature: the code must be signed by the device
    /// key the credential names. One SM2 verification.
    pub fn verify_device(&self, device_key: &Sm2VerifyingKey) -> Result<(), QrError> {
        let message = message(&self.credential, self.issued_at_ms, &self.nonce);
        if device_key.to_sec1_compressed_bytes() == self.signer {
            return device_key.verify(&message, &self.signature).map_err(|_| QrError::Tampered);
        }
        // Another key claims to have signed: a second wallet holding a
        // copied credential, unless the claim itself is forged.
        let claimed = Sm2VerifyingKey::from_sec1_bytes(&self.signer, "device").map_err(|_| QrError::Tampered)?;
        match claimed.verify(&message, &self.signature) {
            Ok(()) => Err(QrError::WrongDevice),
            Err(_) => Err(QrError::Tampered),
        }
    }

    /// Refuses a code older than [`QR_LIFETIME_MS`] or stamped more than
    /// [`QR_CLOCK_SKEW_MS`] ahead of `now_ms`.
    pub fn check_fresh(&self, now_ms: i64) -> Result<(), QrError> {
        if self.issued_at_ms > now_ms + QR_CLOCK_SKEW_MS || now_ms - self.issued_at_ms > QR_LIFETIME_MS {
            return Err(QrError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
