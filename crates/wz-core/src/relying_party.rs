//! Relying parties (依赖方): their categories and attribute grants, the
//! pairwise pseudonymous subject each one sees, data minimisation, and the
//! signed authentication result they can check offline.
//!
//! Signed result (`docs/relying-parties.md`): `{alg, key_id, payload,
//! signature, index, path}` where `payload` is base64url of the statement's
//! JSON. Results are signed in batches: leaves are `SM3(0x00 || payload)`
//! over the base64url text as sent, inner nodes `SM3(0x01 || left ||
//! right)`, and the signature (SM2, or ES256 on request) covers
//! `"wz-auth-result/1\0" || root`. The RP verifies exactly the bytes it
//! received, without re-serialising anything; one signature then serves
//! every result signed in the same instant.

use std::collections::BTreeMap;

use base64::Engine;
use serde::{Deserialize, Serialize};
use wz_crypto::{Es256SigningKey, Es256VerifyingKey, MacKey, Sm2Signature, Sm2SigningKey, Sm2VerifyingKey};

use crate::{mask_address, mask_id_number, mask_name, CredentialNumber, IdentityRecord};

const SUBJECT_DOMAIN: &[u8] = b"wz-pairwise-subject/1\0";
const RESULT_DOMAIN: &[u8] = b"wz-auth-result/1\0";

/// What kind of organisation a relying party is; shown to the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RpCategory {
    /// Government service (政务).
    Government,
    /// Licensed hotel (旅馆业), keeps the guest register.
    Hotel,
    /// Bank or other financial institution.
    Bank,
    /// Internet service.
    Internet,
}

impl RpCategory {
    /// All categories.
    pub const ALL: [RpCategory; 4] = [Self::Government, Self::Hotel, Self::Bank, Self::Internet];

    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Government => "government",
            Self::Hotel => "hotel",
            Self::Bank => "bank",
            Self::Internet => "internet",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// A personal attribute a relying party may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    /// Full name.
    Name,
    /// ID number.
    IdNumber,
    /// Birth date, `YYYY-MM-DD`.
    BirthDate,
    /// `男` / `女`, as printed.
    Sex,
    /// Ethnic group.
    Ethnicity,
    /// Registered address.
    Address,
    /// Card validity as printed, `2015.03.01-2035.03.01`.
    Validity,
}

impl Attribute {
    /// All attributes.
    pub const ALL: [Attribute; 7] = [
        Self::Name,
        Self::IdNumber,
        Self::BirthDate,
        Self::Sex,
        Self::Ethnicity,
        Self::Address,
        Self::Validity,
    ];

    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::IdNumber => "id_number",
            Self::BirthDate => "birth_date",
            Self::Sex => "sex",
            Self::Ethnicity => "ethnicity",
            Self::Address => "address",
            Self::Validity => "validity",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// The attribute's full value.
    fn full(self, record: &IdentityRecord) -> String {
        match self {
            Self::Name => record.name.clone(),
            Self::IdNumber => record.id_number.expose().to_owned(),
            Self::BirthDate => record.birth_date().to_string(),
            Self::Sex => record.sex.label_zh().to_owned(),
            Self::Ethnicity => record.ethnicity.clone(),
            Self::Address => record.address.clone(),
            Self::Validity => record.validity.printed(),
        }
    }

    /// The desensitised value, where the attribute has one.
    fn masked(self, record: &IdentityRecord) -> Option<String> {
        match self {
            Self::Name => Some(mask_name(&record.name)),
            Self::IdNumber => Some(mask_id_number(record.id_number.expose())),
            Self::Address => Some(mask_address(&record.address)),
            Self::BirthDate | Self::Sex | Self::Ethnicity | Self::Validity => None,
        }
    }
}

/// The pseudonymous subject relying party `rp_id` sees for the holder of
/// credential number `number`: the same person gives two RPs unlinkable
/// values, and one RP the same value every time. 32 hex digits.
pub fn pairwise_subject(key: &MacKey, rp_id: &str, number: &CredentialNumber) -> String {
    let mut data = SUBJECT_DOMAIN.to_vec();
    data.extend_from_slice(rp_id.as_bytes());
    data.push(0);
    data.extend_from_slice(number.as_bytes());
    hex::encode(&key.mac(&data)[..16])
}

/// The requested attributes released in full: those the grant covers, when
/// the citizen consented; sorted, each once.
pub fn releasable(requested: &[Attribute], granted: &[Attribute], consented: bool) -> Vec<Attribute> {
    if !consented {
        return Vec::new();
    }
    let mut released: Vec<Attribute> = requested.iter().copied().filter(|a| granted.contains(a)).collect();
    released.sort();
    released.dedup();
    released
}

/// What a relying party receives of a person: the desensitised name and ID
/// number always; each requested attribute in full when the RP's grant
/// covers it and the citizen consented, else its desensitised form (or
/// nothing, for attributes without one). Returns the fields and the
/// attributes released in full (to be recorded).
pub fn disclose(
    record: &IdentityRecord,
    requested: &[Attribute],
    granted: &[Attribute],
    consented: bool,
) -> (BTreeMap<String, String>, Vec<Attribute>) {
    let released = releasable(requested, granted, consented);
    let mut fields = BTreeMap::new();
    for attribute in [Attribute::Name, Attribute::IdNumber] {
        if let Some(masked) = attribute.masked(record) {
            fields.insert(format!("{}_masked", attribute.as_str()), masked);
        }
    }
    for &attribute in requested {
        if released.contains(&attribute) {
            fields.insert(attribute.as_str().to_owned(), attribute.full(record));
        } else if let Some(masked) = attribute.masked(record) {
            fields.insert(format!("{}_masked", attribute.as_str()), masked);
        }
    }
    (fields, released)
}

/// The statement a relying party receives about one authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthStatement {
    /// Format version, 1.
    pub version: u32,
    /// The platform's request id.
    pub request_id: String,
    /// The relying party it answers.
    pub rp_id: String,
    /// The mode, e.g. `credential`.
    pub mode: String,
    /// Result code (`success` or the precise reason).
    pub result: String,
    /// Level achieved (`L1`–`L4`), on success.
    pub level: Option<String>,
    /// Pairwise subject, when the person was identified.
    pub subject: Option<String>,
    /// Released fields (see [`disclose`]).
    pub attributes: BTreeMap<String, String>,
    /// The purpose the RP stated.
    pub purpose: String,
    /// Unix milliseconds.
    pub issued_at_ms: i64,
    /// How the face compared was shown to be a live person's, when it was:
    /// a sequence answering a liveness challenge, with `spoken_digits` (read
    /// in English: the challenge's digits heard while filming), `voice` (read
    /// in Mandarin: a voice heard while filming, the digits not recognised)
    /// or `face_sequence` (no audio). Absent for one still portrait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<String>,
}

/// Signature algorithm of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResultAlg {
    /// SM2 with SM3 (default).
    #[serde(rename = "SM2")]
    Sm2,
    /// ECDSA P-256 with SHA-256, for international clients.
    #[serde(rename = "ES256")]
    Es256,
}

/// A signed [`AuthStatement`]. Results are signed in batches: the
/// signature covers the root of a Merkle tree (SM3) over the batch's
/// payloads, and `index` and `path` lead from this payload to that root.
/// A batch of one has an empty path and its root is its own leaf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedStatement {
    /// `SM2` or `ES256`.
    pub alg: ResultAlg,
    /// Published key (`/v1/keys`) that signed it.
    pub key_id: String,
    /// base64url of the statement's JSON.
    pub payload: String,
    /// base64url of the 64-byte signature over the batch root.
    pub signature: String,
    /// Position of this payload among the batch's leaves.
    pub index: u32,
    /// Sibling hashes from the leaf up to the root, hex.
    pub path: Vec<String>,
}

/// Why a signed statement does not check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// Not base64url or not a statement.
    #[error("malformed signed result")]
    Malformed,
    /// Signed by another key.
    #[error("signed result does not verify")]
    SignatureInvalid,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// `SM3(0x00 || payload)`: a leaf of the batch tree.
fn leaf(payload: &str) -> [u8; 32] {
    wz_crypto::sm3(&[&[0u8][..], payload.as_bytes()].concat())
}

/// `SM3(0x01 || left || right)`: an inner node.
fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    wz_crypto::sm3(&[&[1u8][..], left, right].concat())
}

/// What is signed: the domain and the batch root.
fn signed_message(root: &[u8; 32]) -> Vec<u8> {
    [RESULT_DOMAIN, root].concat()
}

/// The root over `payloads` and each payload's path. Levels with an odd
/// count pair their last node with itself.
fn merkle(payloads: &[String]) -> ([u8; 32], Vec<Vec<[u8; 32]>>) {
    let mut level: Vec<[u8; 32]> = payloads.iter().map(|p| leaf(p)).collect();
    let mut paths = vec![Vec::new(); payloads.len()];
    let mut positions: Vec<usize> = (0..payloads.len()).collect();
    while level.len() > 1 {
        for (path, position) in paths.iter_mut().zip(positions.iter_mut()) {
            let sibling = *position ^ 1;
            path.push(*level.get(sibling).unwrap_or(&level[*position]));
            *position /= 2;
        }
        level = level
            .chunks(2)
            .map(|pair| node(&pair[0], pair.get(1).unwrap_or(&pair[0])))
            .collect();
    }
    (level.first().copied().unwrap_or([0; 32]), paths)
}

/// The root a payload's path leads to.
fn root_of(payload: &str, index: u32, path: &[String]) -> Result<[u8; 32], StatementError> {
    if path.len() > 32 {
        return Err(StatementError::Malformed);
    }
    let mut hash = leaf(payload);
    let mut index = index;
    for sibling in path {
        let sibling: [u8; 32] = hex::decode(sibling)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(StatementError::Malformed)?;
        hash = if index.is_multiple_of(2) {
            node(&hash, &sibling)
        } else {
            node(&sibling, &hash)
        };
        index /= 2;
    }
    Ok(hash)
}

/// The platform key a batch is signed with.
pub enum ResultKey<'a> {
    /// SM2.
    Sm2(&'a Sm2SigningKey),
    /// ES256.
    Es256(&'a Es256SigningKey),
}

impl AuthStatement {
    /// base64url of the statement's JSON.
    pub fn payload(&self) -> String {
        // Serialising a plain struct of strings and maps cannot fail.
        b64().encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Signs one statement.
    pub fn sign(&self, key: ResultKey<'_>) -> Result<SignedStatement, wz_crypto::CryptoError> {
        let mut signed = sign_batch(vec![self.payload()], key)?;
        signed.pop().ok_or(wz_crypto::CryptoError::MalformedSignature)
    }
}

/// Signs a batch of payloads with one signature over their Merkle root.
pub fn sign_batch(payloads: Vec<String>, key: ResultKey<'_>) -> Result<Vec<SignedStatement>, wz_crypto::CryptoError> {
    let (root, paths) = merkle(&payloads);
    let message = signed_message(&root);
    let (alg, key_id, signature) = match key {
        ResultKey::Sm2(key) => (ResultAlg::Sm2, key.key_id().as_str().to_owned(), key.sign(&message)?.to_bytes()),
        ResultKey::Es256(key) => (ResultAlg::Es256, key.key_id().as_str().to_owned(), key.sign(&message)?),
    };
    let signature = b64().encode(signature);
    Ok(payloads
        .into_iter()
        .zip(paths)
        .enumerate()
        .map(|(index, (payload, path))| SignedStatement {
            alg,
            key_id: key_id.clone(),
            payload,
            signature: signature.clone(),
            index: index as u32,
            path: path.iter().map(hex::encode).collect(),
        })
        .collect())
}

impl SignedStatement {
    /// Checks an SM2-signed result and returns its statement.
    pub fn verify_sm2(&self, key: &Sm2VerifyingKey) -> Result<AuthStatement, StatementError> {
        let bytes = b64().decode(&self.signature).map_err(|_| StatementError::Malformed)?;
        let signature = Sm2Signature::from_slice(&bytes).map_err(|_| StatementError::Malformed)?;
        let root = root_of(&self.payload, self.index, &self.path)?;
        if self.alg != ResultAlg::Sm2 || key.verify(&signed_message(&root), &signature).is_err() {
            return Err(StatementError::SignatureInvalid);
        }
        self.statement()
    }

    /// Checks an ES256-signed result and returns its statement.
    pub fn verify_es256(&self, key: &Es256VerifyingKey) -> Result<AuthStatement, StatementError> {
        let bytes = b64().decode(&self.signature).map_err(|_| StatementError::Malformed)?;
        let root = root_of(&self.payload, self.index, &self.path)?;
        if self.alg != ResultAlg::Es256 || key.verify(&signed_message(&root), &bytes).is_err() {
            return Err(StatementError::SignatureInvalid);
        }
        self.statement()
    }

    /// The statement without checking the signature: only for the
    /// platform reading back a result it signed and then kept sealed (the
    /// seal's authentication stands in for the signature).
    pub fn unverified_statement(&self) -> Result<AuthStatement, StatementError> {
        self.statement()
    }

    fn statement(&self) -> Result<AuthStatement, StatementError> {
        let bytes = b64().decode(&self.payload).map_err(|_| StatementError::Malformed)?;
        serde_json::from_slice(&bytes).map_err(|_| StatementError::Malformed)
    }
}

const WEBHOOK_DOMAIN: &[u8] = b"wz-webhook/1\0";

/// Signs a webhook body (SM2 over `"wz-webhook/1\0" || body`); base64url.
pub fn sign_webhook(key: &Sm2SigningKey, body: &str) -> Result<String, wz_crypto::CryptoError> {
    let signature = key.sign(&[WEBHOOK_DOMAIN, body.as_bytes()].concat())?;
    Ok(b64().encode(signature.to_bytes()))
}

/// Checks a webhook body against its `x-wz-signature` header.
pub fn verify_webhook(key: &Sm2VerifyingKey, body: &str, signature: &str) -> bool {
    b64()
        .decode(signature)
        .ok()
        .and_then(|bytes| Sm2Signature::from_slice(&bytes).ok())
        .is_some_and(|signature| key.verify(&[WEBHOOK_DOMAIN, body.as_bytes()].concat(), &signature).is_ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rand::SeedableRng;

    use super::*;
    use crate::{NationalIdNumber, PersonGenerator, PopulationSpec};

    fn person() -> IdentityRecord {
        let today = time::macros::date!(2026 - 11 - 22);
        PersonGenerator::new(PopulationSpec { seed: 5, today }).next_person().0
    }

    #[test]
    fn pairwise_subjects_differ_between_parties_and_repeat_within_one() {
        let key = MacKey::from_bytes([7; 32]);
        let id = NationalIdNumber::parse("11010519491231002X").unwrap();
        let number = CredentialNumber::derive(&MacKey::from_bytes([1; 32]), &id);
        let a = pairwise_subject(&key, "rp_a", &number);
        assert_eq!(a, pairwise_subject(&key, "rp_a", &number));
        assert_ne!(a, pairwise_subject(&key, "rp_b", &number));
        assert_eq!(a.len(), 32);
        // No concatenation ambiguity between the RP id and the number.
        assert_ne!(pairwise_subject(&key, "rp_a\0", &number), a);
    }

    #[test]
    fn full_values_need_both_grant_and_consent() {
        let record = person();
        let requested = [Attribute::Name, Attribute::IdNumber, Attribute::BirthDate];
        let (fields, released) = disclose(&record, &requested, &[Attribute::Name, Attribute::IdNumber], true);
        assert_eq!(fields["name"], record.name);
        assert_eq!(fields["id_number"], record.id_number.expose());
        assert!(!fields.contains_key("birth_date"), "not granted, no masked form");
        assert_eq!(released, vec![Attribute::Name, Attribute::IdNumber]);

        let (fields, released) = disclose(&record, &requested, &[Attribute::Name, Attribute::IdNumber], false);
        assert!(released.is_empty());
        assert!(!fields.contains_key("name") && !fields.contains_key("id_number"));
        assert_eq!(fields["name_masked"], mask_name(&record.name));

        let (fields, released) = disclose(&record, &requested, &[], true);
        assert!(released.is_empty());
        assert!(!fields.values().any(|v| v == record.id_number.expose() || *v == record.name));
    }

    #[test]
    fn signed_results_verify_and_any_change_fails() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let sm2 = Sm2SigningKey::generate(&mut rng, "sm2").unwrap();
        let es = Es256SigningKey::generate(&mut rng);
        let statement = AuthStatement {
            version: 1,
            request_id: "r1".into(),
            rp_id: "rp_a".into(),
            mode: "credential".into(),
            result: "success".into(),
            level: Some("L4".into()),
            subject: Some("00".repeat(16)),
            attributes: BTreeMap::new(),
            purpose: "开户".into(),
            issued_at_ms: 1,
            liveness: None,
        };
        let signed = statement.sign(ResultKey::Sm2(&sm2)).unwrap();
        assert_eq!(signed.verify_sm2(&sm2.verifying_key()).unwrap(), statement);
        let signed_es = statement.sign(ResultKey::Es256(&es)).unwrap();
        assert_eq!(signed_es.verify_es256(&es.verifying_key()).unwrap(), statement);
        assert_eq!(signed_es.verify_sm2(&sm2.verifying_key()), Err(StatementError::SignatureInvalid));

        let mut other = statement.clone();
        other.result = "face_mismatch".into();
        let forged = SignedStatement {
            payload: other.payload(),
            ..signed.clone()
        };
        assert_eq!(forged.verify_sm2(&sm2.verifying_key()), Err(StatementError::SignatureInvalid));
        let other_key = Sm2SigningKey::generate(&mut rng, "sm2").unwrap();
        assert_eq!(signed.verify_sm2(&other_key.verifying_key()), Err(StatementError::SignatureInvalid));
    }

    #[test]
    fn every_member_of_a_batch_verifies_and_none_can_be_swapped() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let sm2 = Sm2SigningKey::generate(&mut rng, "sm2").unwrap();
        for n in [1usize, 2, 3, 5, 8, 13] {
            let payloads: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
            let signed = sign_batch(payloads.clone(), ResultKey::Sm2(&sm2)).unwrap();
            let key = sm2.verifying_key();
            for (i, one) in signed.iter().enumerate() {
                let root = root_of(&one.payload, one.index, &one.path).unwrap();
                assert!(key
                    .verify(
                        &signed_message(&root),
                        &Sm2Signature::from_slice(&b64().decode(&one.signature).unwrap()).unwrap()
                    )
                    .is_ok());
                assert_eq!(one.index as usize, i);
                if n > 1 {
                    let mut moved = one.clone();
                    moved.index = (moved.index + 1) % n as u32;
                    let root = root_of(&moved.payload, moved.index, &moved.path).unwrap();
                    assert!(
                        key.verify(
                            &signed_message(&root),
                            &Sm2Signature::from_slice(&b64().decode(&moved.signature).unwrap()).unwrap()
                        )
                        .is_err(),
                        "n={n} i={i}"
                    );
                    let mut other = one.clone();
                    other.payload = payloads[(i + 1) % n].clone() + "x";
                    let root = root_of(&other.payload, other.index, &other.path).unwrap();
                    assert!(key
                        .verify(
                            &signed_message(&root),
                            &Sm2Signature::from_slice(&b64().decode(&other.signature).unwrap()).unwrap()
                        )
                        .is_err());
                }
            }
        }
    }
}
