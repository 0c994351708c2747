//! The simulated second-generation resident ID card.
//!
//! A card file stands in for the physical card: the chip data signed by the
//! issuing authority (SM2), and the chip's private key, which a real chip
//! never reveals but uses to answer a reader's challenge. A reader checks the
//! authority signature (an edited field fails), asks the chip to sign a fresh
//! platform challenge (a copied file with another chip key fails), and the
//! platform checks the registry status (a lost card fails).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use wz_crypto::{MacKey, Sm2Signature, Sm2SigningKey, Sm2VerifyingKey};

use crate::{IdentityRecord, NationalIdNumber, ResultCode, Sex, Validity};

/// Format tag of card files this version writes and reads.
pub const CARD_FILE_VERSION: &str = "wz-card/1";
/// Largest card file accepted (a portrait digest, not the portrait, is on it).
const MAX_CARD_FILE_BYTES: usize = 64 * 1024;
const CHIP_DOMAIN: &[u8] = b"wz-card-chip/1\0";
const CHALLENGE_DOMAIN: &[u8] = b"wz-card-challenge/1\0";

/// Card serial number (12 digits); a reissued card gets a new one.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CardSerial(String);

impl CardSerial {
    /// Validates a 12-digit serial.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())).then(|| Self(text.to_owned()))
    }

    /// Builds a serial from a number (taken modulo 10^12).
    pub fn from_number(number: u64) -> Self {
        Self(format!("{:012}", number % 1_000_000_000_000))
    }

    /// The serial as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CardSerial {
    type Error = &'static str;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or("card serial must be 12 digits")
    }
}

impl From<CardSerial> for String {
    fn from(value: CardSerial) -> Self {
        value.0
    }
}

impl fmt::Debug for CardSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardSerial({})", self.0)
    }
}

/// Why a card was refused before any registry lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardVerificationError {
    /// Not a card file of a known version, or a field is out of range.
    #[error("malformed card: {0}")]
    Malformed(&'static str),
    /// Signed by a key that is not a trusted issuing authority.
    #[error("card issued by an unknown authority")]
    AuthorityUnknown,
    /// The authority signature does not cover these chip data.
    #[error("card signature does not verify")]
    SignatureInvalid,
    /// The challenge was not issued by this platform.
    #[error("card challenge is invalid")]
    ChallengeInvalid,
    /// The challenge is past its expiry.
    #[error("card challenge has expired")]
    ChallengeExpired,
    /// The chip's answer does not verify under the signed chip public key.
    #[error("card chip did not answer the challenge")]
    ChipMismatch,
}

impl From<CardVerificationError> for ResultCode {
    fn from(error: CardVerificationError) -> Self {
        match error {
            CardVerificationError::Malformed(_) => Self::CardMalformed,
            CardVerificationError::AuthorityUnknown => Self::CardAuthorityUnknown,
            CardVerificationError::SignatureInvalid => Self::CardSignatureInvalid,
            CardVerificationError::ChallengeInvalid => Self::CardChallengeInvalid,
            CardVerificationError::ChallengeExpired => Self::CardChallengeExpired,
            CardVerificationError::ChipMismatch => Self::CardChipMismatch,
        }
    }
}

/// What the chip holds and the authority signs. Personal data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardChipData {
    /// ID number (validated on read).
    pub id_number: String,
    /// Name.
    pub name: String,
    /// Sex.
    pub sex: Sex,
    /// Ethnic group.
    pub ethnicity: String,
    /// Address.
    pub address: String,
    /// Issuing authority (签发机关).
    pub issuing_authority: String,
    /// Validity period.
    pub validity: Validity,
    /// Card serial.
    pub card_serial: CardSerial,
    /// SM3 of the registry portrait (hex), if the registry holds one.
    pub portrait_sm3: Option<String>,
    /// The chip's SM2 public key, SEC1 hex.
    pub chip_public_key: String,
}

impl CardChipData {
    fn signed_bytes(&self) -> Vec<u8> {
        // serde_json writes struct fields in declaration order, so the
        // encoding is canonical whatever order the file's keys were in.
        let body = serde_json::to_vec(self).unwrap_or_default();
        [CHIP_DOMAIN, body.as_slice()].concat()
    }
}

impl fmt::Debug for CardChipData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardChipData")
            .field("card_serial", &self.card_serial)
            .finish_non_exhaustive()
    }
}

/// The card file written by `wz card issue`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardFile {
    /// Always [`CARD_FILE_VERSION`].
    pub format: String,
    /// Signed chip data.
    pub chip: CardChipData,
    /// Key id of the authority that signed.
    pub authority_key_id: String,
    /// SM2 signature over the chip data (hex).
    pub authority_signature: String,
    /// The chip's private key (hex). Secret: stands in for the chip hardware.
    pub chip_secret_key: String,
}

impl CardFile {
    /// Issues a card for `record`, signed by `authority`, with `chip_key`.
    pub fn issue(record: &IdentityRecord, authority: &Sm2SigningKey, chip_key: &Sm2SigningKey) -> Result<Self, crate::CoreError> {
        let chip = CardChipData {
            id_number: record.id_number.expose().to_owned(),
            name: record.name.clone(),
            sex: record.sex,
            ethnicity: record.ethnicity.clone(),
            address: record.address.clone(),
            issuing_authority: record.issuing_authority.clone(),
            validity: record.validity,
            card_serial: record.card_serial.clone(),
            portrait_sm3: record.portrait.as_deref().map(|p| hex::encode(wz_crypto::sm3(p))),
            chip_public_key: hex::encode(chip_key.verifying_key().to_sec1_bytes()),
        };
        let signature = authority.sign(&chip.signed_bytes())?;
        Ok(Self {
            format: CARD_FILE_VERSION.to_owned(),
            chip,
            authority_key_id: authority.key_id().to_string(),
            authority_signature: signature.to_hex(),
            chip_secret_key: hex::encode(chip_key.to_scalar_bytes().as_slice()),
        })
    }

    /// Parses a card file, refusing oversized or unknown formats.
    pub fn parse(bytes: &[u8]) -> Result<Self, CardVerificationError> {
        if bytes.len() > MAX_CARD_FILE_BYTES {
            return Err(CardVerificationError::Malformed("card file too large"));
        }
        let card: Self = serde_json::from_slice(bytes).map_err(|_| CardVerificationError::Malformed("not a card file"))?;
        if card.format != CARD_FILE_VERSION {
            return Err(CardVerificationError::Malformed("unknown card format version"));
        }
        Ok(card)
    }

    /// Serialises the file.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The chip answers `challenge` with its private key, as a reader asks it
    /// to; the result is what the reader sends to the platform.
    pub fn present(&self, challenge: CardChallenge) -> Result<CardPresentation, CardVerificationError> {
        let secret = hex::decode(&self.chip_secret_key).map_err(|_| CardVerificationError::Malformed("chip key"))?;
        let chip_key = Sm2SigningKey::from_scalar_bytes(&secret, "chip").map_err(|_| CardVerificationError::Malformed("chip key"))?;
        let response = chip_key
            .sign(&challenge.signed_bytes())
            .map_err(|_| CardVerificationError::Malformed("chip key"))?;
        Ok(CardPresentation {
            chip: self.chip.clone(),
            authority_key_id: self.authority_key_id.clone(),
            authority_signature: self.authority_signature.clone(),
            challenge,
            chip_response: response.to_hex(),
        })
    }
}

impl fmt::Debug for CardFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardFile")
            .field("chip", &self.chip)
            .field("authority_key_id", &self.authority_key_id)
            .finish_non_exhaustive()
    }
}

/// A platform challenge for a card chip: random nonce and expiry,
/// authenticated with the platform's challenge MAC key, so the platform keeps
/// no state between issuing and checking it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardChallenge {
    /// 16 random bytes, hex.
    pub nonce: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// HMAC-SM3 over nonce and expiry, hex.
    pub mac: String,
}

impl CardChallenge {
    fn mac_input(nonce: &str, expires_at: i64) -> Vec<u8> {
        [CHALLENGE_DOMAIN, nonce.as_bytes(), &expires_at.to_be_bytes()].concat()
    }

    /// Issues a challenge.
    pub fn issue(key: &MacKey, nonce: [u8; 16], expires_at: i64) -> Self {
        let nonce = hex::encode(nonce);
        let mac = hex::encode(key.mac(&Self::mac_input(&nonce, expires_at)));
        Self { nonce, expires_at, mac }
    }

    /// Checks the challenge's origin and freshness at `now` (Unix seconds).
    pub fn check(&self, key: &MacKey, now: i64) -> Result<(), CardVerificationError> {
        let tag = hex::decode(&self.mac).map_err(|_| CardVerificationError::ChallengeInvalid)?;
        if !key.verify(&Self::mac_input(&self.nonce, self.expires_at), &tag) {
            return Err(CardVerificationError::ChallengeInvalid);
        }
        if now > self.expires_at {
            return Err(CardVerificationError::ChallengeExpired);
        }
        Ok(())
    }

    fn signed_bytes(&self) -> Vec<u8> {
        [
            CHALLENGE_DOMAIN,
            self.nonce.as_bytes(),
            &self.expires_at.to_be_bytes(),
            self.mac.as_bytes(),
        ]
        .concat()
    }
}

/// What a card reader sends: the signed chip data, the challenge and the
/// chip's answer. Carries no chip secret.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardPresentation {
    /// Signed chip data.
    pub chip: CardChipData,
    /// Authority key id.
    pub authority_key_id: String,
    /// Authority signature, hex.
    pub authority_signature: String,
    /// The challenge the chip answered.
    pub challenge: CardChallenge,
    /// The chip's SM2 signature over the challenge, hex.
    pub chip_response: String,
}

/// A card whose authority signature and chip answer verified.
#[derive(Debug, Clone)]
pub struct VerifiedCard {
    /// The chip data, now trusted as issued.
    pub chip: CardChipData,
    /// Parsed ID number.
    pub id_number: NationalIdNumber,
}

impl CardPresentation {
    /// Verifies authority, signature, challenge and chip, in that order.
    pub fn verify(
        &self,
        authorities: &TrustedAuthorities,
        challenge_key: &MacKey,
        now: i64,
    ) -> Result<VerifiedCard, CardVerificationError> {
        let authority = authorities
            .find(&self.authority_key_id)
            .ok_or(CardVerificationError::AuthorityUnknown)?;
        let signature = Sm2Signature::from_hex(&self.authority_signature).map_err(|_| CardVerificationError::SignatureInvalid)?;
        authority
            .verify(&self.chip.signed_bytes(), &signature)
            .map_err(|_| CardVerificationError::SignatureInvalid)?;
        // The authority signed these fields, so a parse failure below means
        // the authority issued a bad card: still refuse it.
        let id_number = NationalIdNumber::parse(&self.chip.id_number).map_err(|_| CardVerificationError::Malformed("ID number"))?;
        self.challenge.check(challenge_key, now)?;
        let chip_public = hex::decode(&self.chip.chip_public_key).map_err(|_| CardVerificationError::Malformed("chip public key"))?;
        let chip_key =
            Sm2VerifyingKey::from_sec1_bytes(&chip_public, "chip").map_err(|_| CardVerificationError::Malformed("chip public key"))?;
        let response = Sm2Signature::from_hex(&self.chip_response).map_err(|_| CardVerificationError::ChipMismatch)?;
        chip_key
            .verify(&self.challenge.signed_bytes(), &response)
            .map_err(|_| CardVerificationError::ChipMismatch)?;
        Ok(VerifiedCard {
            chip: self.chip.clone(),
            id_number,
        })
    }
}

/// The issuing-authority keys a reader trusts, by key id.
#[derive(Debug, Clone, Default)]
pub struct TrustedAuthorities {
    keys: BTreeMap<String, Sm2VerifyingKey>,
}

impl TrustedAuthorities {
    /// Trusts `key`.
    pub fn add(&mut self, key: Sm2VerifyingKey) {
        self.keys.insert(key.key_id().to_string(), key);
    }

    /// Finds a trusted key.
    pub fn find(&self, key_id: &str) -> Option<&Sm2VerifyingKey> {
        self.keys.get(key_id)
    }

    /// All trusted keys.
    pub fn keys(&self) -> impl Iterator<Item = &Sm2VerifyingKey> {
        self.keys.values()
    }
}

#[cfg(test)]
mod tests;
