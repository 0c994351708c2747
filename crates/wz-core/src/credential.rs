//! The network ID credential (网证): a compact CBOR document signed by the
//! platform (SM2) that binds a pseudonymous credential number to one wallet
//! device key, with a level, a validity and a password epoch. It holds no
//! personal data: the credential number is HMAC-SM3 of the ID number under
//! a platform key, irreversible without that key and one-to-one.
//!
//! Wire form (`docs/credential-format.md`): `CBOR [body: bstr, signature: bstr]`
//! where `body` is `CBOR [version, serial, number, level, device_key,
//! issued_at, expires_at, password_epoch, key_id]` and the signature is SM2
//! over `"wz-credential/1\0" || body`.

use std::fmt;

use ciborium::Value;
use time::{Date, OffsetDateTime, Time};
use wz_crypto::{sm3, MacKey, Sm2Signature, Sm2SigningKey, Sm2VerifyingKey};

use crate::{AssuranceLevel, NationalIdNumber, ResultCode, Validity, ValidityEnd};

/// Version this code writes and reads.
pub const CREDENTIAL_VERSION: u64 = 1;
/// Largest encoded credential accepted (a real one is about 230 bytes).
pub const MAX_CREDENTIAL_BYTES: usize = 1024;
const SIGNATURE_DOMAIN: &[u8] = b"wz-credential/1\0";
const NUMBER_DOMAIN: &[u8] = b"wz-credential-number/1\0";

/// Why a credential is refused before any status lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Not a credential of a known version, or a field is out of range.
    #[error("malformed credential: {0}")]
    Malformed(&'static str),
    /// Signed by a key the platform does not publish.
    #[error("credential signed by an unknown key")]
    UnknownKey,
    /// The platform signature does not cover this body.
    #[error("credential signature does not verify")]
    SignatureInvalid,
    /// Past its expiry.
    #[error("credential expired")]
    Expired,
    /// Issued in the future (clock skew or forgery).
    #[error("credential not yet valid")]
    NotYetValid,
}

impl From<CredentialError> for ResultCode {
    fn from(error: CredentialError) -> Self {
        match error {
            CredentialError::Expired => Self::CredentialExpired,
            CredentialError::Malformed(_)
            | CredentialError::UnknownKey
            | CredentialError::SignatureInvalid
            | CredentialError::NotYetValid => Self::CredentialInvalid,
        }
    }
}

/// The credential number (网证号): HMAC-SM3 of the ID number under the
/// platform's credential-number key. Pseudonymous, safe to log in full.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialNumber([u8; 32]);

impl CredentialNumber {
    /// Derives the number of an ID number.
    pub fn derive(key: &MacKey, id_number: &NationalIdNumber) -> Self {
        let mut data = NUMBER_DOMAIN.to_vec();
        data.extend_from_slice(id_number.expose().as_bytes());
        Self(key.mac(&data))
    }

    /// Wraps stored bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex characters.
    pub fn from_hex(text: &str) -> Option<Self> {
        hex::decode(text).ok()?.try_into().ok().map(Self)
    }
}

impl fmt::Debug for CredentialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialNumber({}…)", &self.to_hex()[..16])
    }
}

/// A credential's serial: 16 random bytes, unique per issuance.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialSerial([u8; 16]);

impl CredentialSerial {
    /// Wraps random or stored bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Lower-case hex, 32 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 32 hex characters.
    pub fn from_hex(text: &str) -> Option<Self> {
        hex::decode(text).ok()?.try_into().ok().map(Self)
    }
}

impl fmt::Debug for CredentialSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialSerial({})", self.to_hex())
    }
}

impl fmt::Display for CredentialSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// What the platform signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialBody {
    /// Unique per issuance.
    pub serial: CredentialSerial,
    /// Pseudonymous number of the holder.
    pub number: CredentialNumber,
    /// L3 (light, online) or L4 (upgraded, at a terminal).
    pub level: AssuranceLevel,
    /// The wallet device's SM2 public key, SEC1 uncompressed (65 bytes).
    pub device_key: Vec<u8>,
    /// Issue time, Unix seconds.
    pub issued_at: i64,
    /// Expiry, Unix seconds; never after the card's validity.
    pub expires_at: i64,
    /// The holder's password epoch when issued; a reset moves it on.
    pub password_epoch: u32,
    /// Key id of the platform key that signs it.
    pub key_id: String,
}

impl CredentialBody {
    fn to_cbor(&self) -> Vec<u8> {
        let value = Value::Array(vec![
            Value::from(CREDENTIAL_VERSION),
            Value::Bytes(self.serial.0.to_vec()),
            Value::Bytes(self.number.0.to_vec()),
            Value::Text(self.level.as_str().to_owned()),
            Value::Bytes(self.device_key.clone()),
            Value::from(self.issued_at),
            Value::from(self.expires_at),
            Value::from(self.password_epoch),
            Value::Text(self.key_id.clone()),
        ]);
        encode(&value)
    }

    fn from_cbor(bytes: &[u8]) -> Result<Self, CredentialError> {
        let Value::Array(fields) = decode(bytes)? else {
            return Err(CredentialError::Malformed("body is not an array"));
        };
        let [version, serial, number, level, device_key, issued_at, expires_at, epoch, key_id] =
            <[Value; 9]>::try_from(fields).map_err(|_| CredentialError::Malformed("body must have 9 fields"))?;
        if integer(&version)? != i128::from(CREDENTIAL_VERSION) {
            return Err(CredentialError::Malformed("unknown version"));
        }
        let level = match text(level)?.as_str() {
            "L3" => AssuranceLevel::L3,
            "L4" => AssuranceLevel::L4,
            _ => return Err(CredentialError::Malformed("level must be L3 or L4")),
        };
        let device_key = bytes_field(device_key)?;
        if device_key.len() != 65 || device_key[0] != 0x04 {
            return Err(CredentialError::Malformed("device key must be SEC1 uncompressed"));
        }
        let body = Self {
            serial: CredentialSerial(fixed(serial)?),
            number: CredentialNumber(fixed(number)?),
            level,
            device_key,
            issued_at: i64::try_from(integer(&issued_at)?).map_err(|_| CredentialError::Malformed("issued_at"))?,
            expires_at: i64::try_from(integer(&expires_at)?).map_err(|_| CredentialError::Malformed("expires_at"))?,
            password_epoch: u32::try_from(integer(&epoch)?).map_err(|_| CredentialError::Malformed("password epoch"))?,
            key_id: text(key_id)?,
        };
        if body.expires_at <= body.issued_at {
            return Err(CredentialError::Malformed("expires before it is issued"));
        }
        Ok(body)
    }

    /// Signs the body with the platform key.
    pub fn sign(self, key: &Sm2SigningKey) -> Result<Credential, CredentialError> {
        if self.key_id != key.key_id().as_str() {
            return Err(CredentialError::Malformed("key id does not name the signing key"));
        }
        let body_bytes = self.to_cbor();
        let signature = key
            .sign(&signed_message(&body_bytes))
            .map_err(|_| CredentialError::SignatureInvalid)?;
        Ok(Credential {
            body: self,
            body_bytes,
            signature,
        })
    }

    /// The device key as a verifying key.
    pub fn device_verifying_key(&self) -> Result<Sm2VerifyingKey, CredentialError> {
        Sm2VerifyingKey::from_sec1_bytes(&self.device_key, "device")
            .map_err(|_| CredentialError::Malformed("device key is not on the curve"))
    }

    /// Refuses a credential outside `[issued_at - skew, expires_at]` at `now`.
    pub fn check_time(&self, now: OffsetDateTime, skew_seconds: i64) -> Result<(), CredentialError> {
        let now = now.unix_timestamp();
        if now + skew_seconds < self.issued_at {
            return Err(CredentialError::NotYetValid);
        }
        if now > self.expires_at {
            return Err(CredentialError::Expired);
        }
        Ok(())
    }
}

fn signed_message(body: &[u8]) -> Vec<u8> {
    [SIGNATURE_DOMAIN, body].concat()
}

/// A signed credential. `from_bytes` only parses; call [`Credential::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    body: CredentialBody,
    body_bytes: Vec<u8>,
    signature: Sm2Signature,
}

impl Credential {
    /// The body as parsed (trust it only after [`Credential::verify`]).
    pub fn body(&self) -> &CredentialBody {
        &self.body
    }

    /// The wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&Value::Array(vec![
            Value::Bytes(self.body_bytes.clone()),
            Value::Bytes(self.signature.to_bytes().to_vec()),
        ]))
    }

    /// Parses wire bytes (no signature check).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CredentialError> {
        if bytes.len() > MAX_CREDENTIAL_BYTES {
            return Err(CredentialError::Malformed("too large"));
        }
        let Value::Array(parts) = decode(bytes)? else {
            return Err(CredentialError::Malformed("not an array"));
        };
        let [body, signature] = <[Value; 2]>::try_from(parts).map_err(|_| CredentialError::Malformed("expected body and signature"))?;
        let body_bytes = bytes_field(body)?;
        let signature = Sm2Signature::from_slice(&bytes_field(signature)?).map_err(|_| CredentialError::Malformed("signature length"))?;
        Ok(Self {
            body: CredentialBody::from_cbor(&body_bytes)?,
            body_bytes,
            signature,
        })
    }

    /// URL-safe base64 of the wire bytes, for JSON and files.
    pub fn to_text(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.to_bytes())
    }

    /// Parses [`Credential::to_text`].
    pub fn from_text(text: &str) -> Result<Self, CredentialError> {
        use base64::Engine;
        if text.len() > MAX_CREDENTIAL_BYTES * 2 {
            return Err(CredentialError::Malformed("too large"));
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| CredentialError::Malformed("not base64url"))?;
        Self::from_bytes(&bytes)
    }

    /// Checks the platform signature with the key its key id names.
    pub fn verify<'k>(&self, key_for: impl Fn(&str) -> Option<&'k Sm2VerifyingKey>) -> Result<&CredentialBody, CredentialError> {
        let key = key_for(&self.body.key_id).ok_or(CredentialError::UnknownKey)?;
        key.verify(&signed_message(&self.body_bytes), &self.signature)
            .map_err(|_| CredentialError::SignatureInvalid)?;
        Ok(&self.body)
    }

    /// SM3 of the wire bytes: what a wallet QR code binds to, and the key
    /// under which a verifier may cache a signature check.
    pub fn digest(&self) -> [u8; 32] {
        sm3(&self.to_bytes())
    }
}

/// Everything needed to issue a credential except the signature.
#[derive(Debug, Clone)]
pub struct Issuance {
    /// Fresh random serial.
    pub serial: CredentialSerial,
    /// The holder's credential number.
    pub number: CredentialNumber,
    /// L3 or L4.
    pub level: AssuranceLevel,
    /// The wallet's public key.
    pub device_key: Sm2VerifyingKey,
    /// The holder's current password epoch.
    pub password_epoch: u32,
    /// Now.
    pub now: OffsetDateTime,
    /// How long credentials of this level live.
    pub lifetime: time::Duration,
    /// The holder's card validity: the credential never outlives it.
    pub card_validity: Validity,
}

impl Issuance {
    /// The body to sign. Refuses a card that is not valid today.
    pub fn body(self, signing_key: &Sm2SigningKey) -> Result<CredentialBody, CredentialError> {
        if !matches!(self.level, AssuranceLevel::L3 | AssuranceLevel::L4) {
            return Err(CredentialError::Malformed("level must be L3 or L4"));
        }
        if !self.card_validity.is_valid_on(self.now.date()) {
            return Err(CredentialError::Expired);
        }
        let wanted = (self.now + self.lifetime).unix_timestamp();
        let expires_at = match self.card_validity.end {
            ValidityEnd::Date(end) => wanted.min(end_of_day(end)),
            ValidityEnd::LongTerm => wanted,
        };
        Ok(CredentialBody {
            serial: self.serial,
            number: self.number,
            level: self.level,
            device_key: self.device_key.to_sec1_bytes(),
            issued_at: self.now.unix_timestamp(),
            expires_at,
            password_epoch: self.password_epoch,
            key_id: signing_key.key_id().as_str().to_owned(),
        })
    }
}

/// The last second of `day` (UTC+8, the card's own time zone).
fn end_of_day(day: Date) -> i64 {
    let midnight_next = day
        .next_day()
        .unwrap_or(day)
        .with_time(Time::MIDNIGHT)
        .assume_utc()
        .unix_timestamp();
    midnight_next - 8 * 3600 - 1
}

pub(crate) fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    // Writing into a Vec cannot fail; an error here would be a ciborium bug.
    if ciborium::into_writer(value, &mut out).is_err() {
        out.clear();
    }
    out
}

pub(crate) fn decode(bytes: &[u8]) -> Result<Value, CredentialError> {
    let mut reader = bytes;
    let value: Value = ciborium::from_reader(&mut reader).map_err(|_| CredentialError::Malformed("not CBOR"))?;
    if !reader.is_empty() {
        return Err(CredentialError::Malformed("trailing bytes"));
    }
    Ok(value)
}

pub(crate) fn integer(value: &Value) -> Result<i128, CredentialError> {
    match value {
        Value::Integer(i) => Ok(i128::from(*i)),
        _ => Err(CredentialError::Malformed("expected an integer")),
    }
}

pub(crate) fn bytes_field(value: Value) -> Result<Vec<u8>, CredentialError> {
    match value {
        Value::Bytes(bytes) => Ok(bytes),
        _ => Err(CredentialError::Malformed("expected a byte string")),
    }
}

fn text(value: Value) -> Result<String, CredentialError> {
    match value {
        Value::Text(text) if text.len() <= 64 => Ok(text),
        _ => Err(CredentialError::Malformed("expected a short text string")),
    }
}

pub(crate) fn fixed<const N: usize>(value: Value) -> Result<[u8; N], CredentialError> {
    bytes_field(value)?
        .try_into()
        .map_err(|_| CredentialError::Malformed("wrong length"))
}

#[cfg(test)]
mod tests;
