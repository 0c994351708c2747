//! Sealing registry records: SM4-GCM at rest, found by HMAC-SM3 of the ID
//! number (the lookup key), so the database never holds an ID number in clear.

use base64::Engine;
use std::fmt;

use wz_crypto::{CryptoRng, MacKey, RngCore, Sm4Key};

use crate::{CoreError, IdentityRecord, NationalIdNumber};

/// Domain separation for the lookup key, so the same MAC key cannot be
/// confused with another use.
const LOOKUP_DOMAIN: &[u8] = b"wz-registry-lookup/1\0";

/// HMAC-SM3 of an ID number under the registry lookup key: the row key of
/// the registry. Irreversible without the key, one-to-one in practice.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LookupKey([u8; 32]);

impl LookupKey {
    /// Wraps bytes read back from storage.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 32 bytes from a slice.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A short hex prefix, safe for logs and audit subjects.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..8])
    }
}

impl fmt::Debug for LookupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LookupKey({}…)", self.short())
    }
}

/// Holds the registry's two secrets and seals or opens records.
///
/// # Security
/// Both keys are zeroized on drop and never printed. The lookup key is bound
/// into each record as associated data, so a sealed record copied onto
/// another person's row fails to open.
#[derive(Clone, Debug)]
pub struct RegistrySealer {
    data_key: Sm4Key,
    lookup_key: MacKey,
}

impl RegistrySealer {
    /// Builds a sealer from the data-at-rest key and the lookup MAC key.
    pub fn new(data_key: Sm4Key, lookup_key: MacKey) -> Self {
        Self { data_key, lookup_key }
    }

    /// Check values of the data key and the lookup key (they tell keys
    /// apart and reveal nothing of them).
    pub fn check_values(&self) -> (String, String) {
        (self.data_key.check_value(), self.lookup_key.check_value())
    }

    /// The lookup key of an ID number.
    pub fn lookup(&self, id_number: &NationalIdNumber) -> LookupKey {
        let mut input = Vec::with_capacity(LOOKUP_DOMAIN.len() + 18);
        input.extend_from_slice(LOOKUP_DOMAIN);
        input.extend_from_slice(id_number.expose().as_bytes());
        LookupKey(self.lookup_key.mac(&input))
    }

    /// Seals a record under fresh nonces, in two parts: the attributes, and
    /// apart from them the portrait, so that a use that compares no face
    /// never decrypts (or reads) a JPEG. The portrait's associated data is
    /// its own domain plus the lookup key: neither part opens as the other.
    pub fn seal(&self, record: &IdentityRecord, rng: &mut (impl RngCore + CryptoRng)) -> Result<SealedIdentity, CoreError> {
        let lookup = self.lookup(&record.id_number);
        let attributes = IdentityRecord {
            portrait: None,
            ..record.clone()
        };
        let plaintext = zeroize::Zeroizing::new(serde_json::to_vec(&attributes).map_err(|_| CoreError::InvalidRecord("unencodable"))?);
        let sealed = self.data_key.seal(rng, lookup.as_bytes(), &plaintext)?;
        let portrait = match &record.portrait {
            Some(portrait) => Some(self.data_key.seal(rng, &portrait_context(&lookup), portrait)?),
            None => None,
        };
        Ok(SealedIdentity { lookup, sealed, portrait })
    }

    /// Opens a portrait sealed for `lookup` by [`RegistrySealer::seal`].
    pub fn open_portrait(&self, lookup: &LookupKey, sealed: &[u8]) -> Result<Vec<u8>, CoreError> {
        self.data_key
            .open(&portrait_context(lookup), sealed)
            .map_err(|_| CoreError::SealedRecordCorrupt)
    }

    /// Re-seals a record sealed whole by earlier versions (attributes and
    /// portrait in one part) into the two parts [`RegistrySealer::seal`]
    /// writes.
    pub fn reseal(&self, lookup: &LookupKey, whole: &[u8], rng: &mut (impl RngCore + CryptoRng)) -> Result<SealedIdentity, CoreError> {
        let record = self.open(lookup, whole)?;
        let resealed = self.seal(&record, rng)?;
        if resealed.lookup != *lookup {
            return Err(CoreError::SealedRecordCorrupt);
        }
        Ok(resealed)
    }

    /// Opens a record sealed for `lookup`.
    pub fn open(&self, lookup: &LookupKey, sealed: &[u8]) -> Result<IdentityRecord, CoreError> {
        let plaintext = zeroize::Zeroizing::new(
            self.data_key
                .open(lookup.as_bytes(), sealed)
                .map_err(|_| CoreError::SealedRecordCorrupt)?,
        );
        serde_json::from_slice(&plaintext).map_err(|_| CoreError::SealedRecordCorrupt)
    }

    /// Seals released personal data kept outside the registry (a session's
    /// result, a webhook body) under the registry data key, bound to
    /// `context` (the session or delivery id). base64 text.
    pub fn seal_text(&self, context: &str, text: &str, rng: &mut (impl RngCore + CryptoRng)) -> Result<String, CoreError> {
        let sealed = self.data_key.seal(rng, &released_context(context), text.as_bytes())?;
        Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
    }

    /// Opens [`RegistrySealer::seal_text`].
    pub fn open_text(&self, context: &str, sealed: &str) -> Result<String, CoreError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| CoreError::SealedRecordCorrupt)?;
        let plaintext = self
            .data_key
            .open(&released_context(context), &bytes)
            .map_err(|_| CoreError::SealedRecordCorrupt)?;
        String::from_utf8(plaintext).map_err(|_| CoreError::SealedRecordCorrupt)
    }
}

fn portrait_context(lookup: &LookupKey) -> Vec<u8> {
    [&b"wz-portrait/1\0"[..], lookup.as_bytes()].concat()
}

/// A record as [`RegistrySealer::seal`] stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedIdentity {
    /// The row's lookup key.
    pub lookup: LookupKey,
    /// The sealed attributes (everything but the portrait).
    pub sealed: Vec<u8>,
    /// The sealed portrait, if the record has one.
    pub portrait: Option<Vec<u8>>,
}

fn released_context(context: &str) -> Vec<u8> {
    [&b"wz-released/1\0"[..], context.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use time::macros::date;

    use crate::{PersonGenerator, PopulationSpec};

    fn sealer(seed: u8) -> RegistrySealer {
        RegistrySealer::new(Sm4Key::from_bytes([seed; 16]), MacKey::from_bytes([seed; 32]))
    }

    #[test]
    fn sealed_record_opens_only_with_its_key_and_its_row() {
        let mut generator = PersonGenerator::new(PopulationSpec {
            seed: 5,
            today: date!(2026 - 11 - 22),
        });
        let (alice, _) = generator.next_person();
        let (bob, _) = generator.next_person();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let registry = sealer(1);
        let SealedIdentity {
            lookup: alice_key,
            sealed: alice_sealed,
            ..
        } = registry.seal(&alice, &mut rng).unwrap();
        assert_eq!(registry.open(&alice_key, &alice_sealed).unwrap(), alice);
        // Another registry key cannot open it.
        let other = RegistrySealer::new(Sm4Key::from_bytes([2; 16]), MacKey::from_bytes([1; 32]));
        assert_eq!(other.open(&alice_key, &alice_sealed), Err(CoreError::SealedRecordCorrupt));
        // Moved onto Bob's row, it does not open either.
        assert_eq!(
            registry.open(&registry.lookup(&bob.id_number), &alice_sealed),
            Err(CoreError::SealedRecordCorrupt)
        );
        // Lookup keys depend on the key and never contain the number.
        assert_ne!(registry.lookup(&alice.id_number), sealer(3).lookup(&alice.id_number));
        assert!(!hex::encode(alice_key.as_bytes()).contains(alice.id_number.expose()));
    }

    #[test]
    fn the_portrait_is_sealed_apart_and_a_whole_record_reseals_into_two_parts() {
        let mut generator = PersonGenerator::new(PopulationSpec {
            seed: 6,
            today: date!(2026 - 11 - 22),
        });
        let (mut carol, _) = generator.next_person();
        carol.portrait = Some(b"\xFF\xD8\xFFjpeg bytes".to_vec());
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let registry = sealer(1);
        let sealed = registry.seal(&carol, &mut rng).unwrap();
        let attributes = registry.open(&sealed.lookup, &sealed.sealed).unwrap();
        assert_eq!(attributes.portrait, None, "the attributes part holds no portrait");
        let portrait = sealed.portrait.clone().unwrap();
        assert_eq!(
            registry.open_portrait(&sealed.lookup, &portrait).unwrap(),
            carol.portrait.clone().unwrap()
        );
        // Neither part opens as the other.
        assert!(registry.open(&sealed.lookup, &portrait).is_err());
        assert!(registry.open_portrait(&sealed.lookup, &sealed.sealed).is_err());
        // A record sealed whole, as before issue #14, reseals into the parts.
        let whole_json = serde_json::to_vec(&carol).unwrap();
        let whole = registry.data_key.seal(&mut rng, sealed.lookup.as_bytes(), &whole_json).unwrap();
        assert_eq!(registry.open(&sealed.lookup, &whole).unwrap(), carol, "old rows still open whole");
        let resealed = registry.reseal(&sealed.lookup, &whole, &mut rng).unwrap();
        assert_eq!(registry.open(&sealed.lookup, &resealed.sealed).unwrap().portrait, None);
        assert_eq!(
            registry
                .open_portrait(&sealed.lookup, resealed.portrait.as_deref().unwrap())
                .unwrap(),
            carol.portrait.unwrap()
        );
    }
}
