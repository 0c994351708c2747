//! Electronic certificates: the outcome document of an application,
//! signed with SM2 by the issuing department's key and carried whole in a
//! QR code, so anyone verifies it with the department's published key —
//! online at the hall's verify page (which also says whether it was
//! revoked) or offline (`wz hall verify FILE`).
//!
//! Wire form (the QR text): `WZHC1.<base64url body>.<base64url signature>`,
//! the signature over the body's exact bytes (compact JSON), so no
//! canonicalisation is needed to verify. A certificate carries the
//! holder's name, the masked ID number (enough to match the card shown
//! with it) and the statements its purpose needs; nothing else.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use wz_crypto::{Sm2Signature, Sm2SigningKey, Sm2VerifyingKey};

use crate::registries::Department;

/// Prefix of a certificate's QR text.
pub const CERTIFICATE_PREFIX: &str = "WZHC1";
/// Longest QR text accepted (a certificate is well under 2 KiB).
pub const MAX_CERTIFICATE_CHARS: usize = 4096;
/// Key id prefix of department keys.
pub const DEPARTMENT_KEY_PREFIX: &str = "hall-sm2";

/// What a certificate states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateBody {
    /// Certificate number (a UUID).
    pub id: String,
    /// Title, e.g. 无违法犯罪记录证明.
    pub title: String,
    /// The service that produced it.
    pub service: String,
    /// Issuing department code.
    pub department: String,
    /// Its name as printed.
    pub department_name: String,
    /// The department key that signed it.
    pub key_id: String,
    /// The holder's name.
    pub holder_name: String,
    /// The holder's ID number, masked.
    pub holder_id_masked: String,
    /// What is certified, one statement per line.
    pub statements: Vec<String>,
    /// The purpose the holder gave, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Issue date (ISO).
    pub issued_on: String,
    /// Last valid day (ISO); none for a record that does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// Where it can be verified online (the hall's verify page).
    pub verify_url: String,
}

/// A certificate with its signature and the exact bytes signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCertificate {
    /// The parsed body.
    pub body: CertificateBody,
    body_bytes: Vec<u8>,
    signature: Sm2Signature,
}

/// Why a certificate does not verify. No personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// Not a certificate's QR text at all.
    #[error("this is not a WangZheng service hall certificate")]
    NotACertificate,
    /// The text is damaged (encoding, JSON).
    #[error("the certificate is damaged and cannot be read")]
    Damaged,
    /// Signed with a key the verifier does not know.
    #[error("the certificate names a department key that is not published ({0})")]
    UnknownKey(String),
    /// The signature does not match: altered or forged.
    #[error("the signature does not match: the certificate was altered or forged")]
    BadSignature,
    /// A signing failure on issue.
    #[error("the certificate could not be signed")]
    Signing,
}

impl SignedCertificate {
    /// Signs `body` with `key` (whose id `body.key_id` must name).
    pub fn sign(body: CertificateBody, key: &Sm2SigningKey) -> Result<Self, CertificateError> {
        if body.key_id != key.key_id().as_str() {
            return Err(CertificateError::Signing);
        }
        let body_bytes = serde_json::to_vec(&body).map_err(|_| CertificateError::Signing)?;
        let signature = key.sign(&body_bytes).map_err(|_| CertificateError::Signing)?;
        Ok(Self {
            body,
            body_bytes,
            signature,
        })
    }

    /// The QR text.
    pub fn encode(&self) -> String {
        format!(
            "{CERTIFICATE_PREFIX}.{}.{}",
            URL_SAFE_NO_PAD.encode(&self.body_bytes),
            URL_SAFE_NO_PAD.encode(self.signature.to_bytes())
        )
    }

    /// Reads a QR text (surrounding whitespace allowed) without checking
    /// the signature: see [`SignedCertificate::verify`].
    pub fn decode(text: &str) -> Result<Self, CertificateError> {
        let text = text.trim();
        if text.len() > MAX_CERTIFICATE_CHARS {
            return Err(CertificateError::NotACertificate);
        }
        let mut parts = text.split('.');
        if parts.next() != Some(CERTIFICATE_PREFIX) {
            return Err(CertificateError::NotACertificate);
        }
        let (Some(body), Some(signature), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CertificateError::Damaged);
        };
        let body_bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| CertificateError::Damaged)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| CertificateError::Damaged)?;
        let signature = Sm2Signature::from_slice(&signature).map_err(|_| CertificateError::Damaged)?;
        let body: CertificateBody = serde_json::from_slice(&body_bytes).map_err(|_| CertificateError::Damaged)?;
        Ok(Self {
            body,
            body_bytes,
            signature,
        })
    }

    /// Checks the signature against the published department keys.
    pub fn verify(&self, keys: &PublishedKeys) -> Result<(), CertificateError> {
        let key = keys
            .key(&self.body.key_id)
            .ok_or_else(|| CertificateError::UnknownKey(self.body.key_id.clone()))?;
        key.verify(&self.body_bytes, &self.signature)
            .map_err(|_| CertificateError::BadSignature)
    }
}

/// One published department key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedKey {
    /// The department code.
    pub department: String,
    /// Its name.
    pub department_name: String,
    /// Key id.
    pub key_id: String,
    /// SPKI PEM.
    pub public_key_pem: String,
}

/// The hall's published key set (`GET /keys` on the hall; the file
/// `wz hall verify --keys` reads).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PublishedKeySet {
    /// Every department key.
    pub keys: Vec<PublishedKey>,
}

/// Published keys parsed for verification.
#[derive(Debug, Clone, Default)]
pub struct PublishedKeys {
    by_id: BTreeMap<String, Sm2VerifyingKey>,
}

impl PublishedKeys {
    /// Parses a published set; keys that do not parse, or whose key id does
    /// not match their public key, are left out.
    pub fn from_set(set: &PublishedKeySet) -> Self {
        let by_id = set
            .keys
            .iter()
            .filter_map(|k| {
                let key = Sm2VerifyingKey::from_public_key_pem(&k.public_key_pem, DEPARTMENT_KEY_PREFIX).ok()?;
                (key.key_id().as_str() == k.key_id).then(|| (k.key_id.clone(), key))
            })
            .collect();
        Self { by_id }
    }

    /// The key with `key_id`.
    pub fn key(&self, key_id: &str) -> Option<&Sm2VerifyingKey> {
        self.by_id.get(key_id)
    }
}

/// The departments' signing keys, as the hall holds them.
#[derive(Clone)]
pub struct DepartmentKeys {
    keys: BTreeMap<Department, Sm2SigningKey>,
}

impl std::fmt::Debug for DepartmentKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DepartmentKeys({} keys)", self.keys.len())
    }
}

/// The keys file: one PKCS#8 PEM per department code.
#[derive(Serialize, Deserialize)]
struct KeysFile {
    keys: BTreeMap<String, String>,
}

/// Why the keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// Reading or writing the file.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// The file is not a keys file.
    #[error("{0} is not a service hall keys file")]
    Malformed(String),
}

impl DepartmentKeys {
    /// New keys for every department.
    pub fn generate() -> Self {
        let mut rng = rand::rngs::OsRng;
        let keys = Department::ALL
            .into_iter()
            .filter_map(|d| Some((d, Sm2SigningKey::generate(&mut rng, DEPARTMENT_KEY_PREFIX).ok()?)))
            .collect();
        Self { keys }
    }

    /// Reads the keys file at `path`, or creates it (owner-only) with new
    /// keys; a department missing from an older file gains a key.
    pub fn load_or_create(path: &std::path::Path) -> Result<Self, KeysError> {
        let shown = path.display().to_string();
        let mut keys = BTreeMap::new();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let file: KeysFile = serde_json::from_str(&text).map_err(|_| KeysError::Malformed(shown.clone()))?;
                for (code, pem) in file.keys {
                    let department = Department::from_code(&code).ok_or_else(|| KeysError::Malformed(shown.clone()))?;
                    let key =
                        Sm2SigningKey::from_pkcs8_pem(&pem, DEPARTMENT_KEY_PREFIX).map_err(|_| KeysError::Malformed(shown.clone()))?;
                    keys.insert(department, key);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(KeysError::Io(shown, e)),
        }
        if keys.len() == Department::ALL.len() {
            return Ok(Self { keys });
        }
        let fresh = Self::generate();
        for (department, key) in fresh.keys {
            keys.entry(department).or_insert(key);
        }
        let loaded = Self { keys };
        loaded.save(path)?;
        Ok(loaded)
    }

    fn save(&self, path: &std::path::Path) -> Result<(), KeysError> {
        let shown = path.display().to_string();
        let keys = self
            .keys
            .iter()
            .map(|(d, k)| {
                Ok((
                    d.code().to_owned(),
                    k.to_pkcs8_pem().map_err(|_| KeysError::Malformed(shown.clone()))?.to_string(),
                ))
            })
            .collect::<Result<BTreeMap<_, _>, KeysError>>()?;
        let text = serde_json::to_string_pretty(&KeysFile { keys }).map_err(|_| KeysError::Malformed(shown.clone()))?;
        let temporary = path.with_extension("tmp");
        write_owner_only(&temporary, text.as_bytes()).map_err(|e| KeysError::Io(shown.clone(), e))?;
        std::fs::rename(&temporary, path).map_err(|e| KeysError::Io(shown, e))
    }

    /// The department's signing key.
    pub fn key(&self, department: Department) -> Option<&Sm2SigningKey> {
        self.keys.get(&department)
    }

    /// The public half, for publication.
    pub fn published(&self) -> PublishedKeySet {
        PublishedKeySet {
            keys: self
                .keys
                .iter()
                .filter_map(|(d, k)| {
                    Some(PublishedKey {
                        department: d.code().to_owned(),
                        department_name: d.name_zh().to_owned(),
                        key_id: k.key_id().as_str().to_owned(),
                        public_key_pem: k.verifying_key().to_public_key_pem().ok()?,
                    })
                })
                .collect(),
        }
    }
}

#[cfg(unix)]
fn write_owner_only(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_owner_only(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(key: &Sm2SigningKey) -> CertificateBody {
        CertificateBody {
            id: "5b0c9d1e-0000-4000-8000-000000000001".into(),
            title: "无违法犯罪记录证明".into(),
            service: "no_criminal_record".into(),
            department: "criminal_records".into(),
            department_name: Department::CriminalRecords.name_zh().into(),
            key_id: key.key_id().as_str().into(),
            holder_name: "张三".into(),
            holder_id_masked: "3303**********1234".into(),
            statements: vec!["经查询，未发现有违法犯罪记录。".into()],
            purpose: Some("就业".into()),
            issued_on: "2026-12-03".into(),
            valid_until: Some("2027-03-03".into()),
            verify_url: "http://127.0.0.1:8090/verify".into(),
        }
    }

    #[test]
    fn a_signed_certificate_verifies_and_an_altered_one_does_not() {
        let keys = DepartmentKeys::generate();
        let key = keys.key(Department::CriminalRecords).unwrap();
        let certificate = SignedCertificate::sign(body(key), key).unwrap();
        let published = PublishedKeys::from_set(&keys.published());
        let text = certificate.encode();
        let read = SignedCertificate::decode(&format!("  {text}\n")).unwrap();
        assert_eq!(read, certificate);
        read.verify(&published).unwrap();

        // The holder's name changed in the body, signature kept.
        let mut altered = body(key);
        altered.holder_name = "李四".into();
        let forged = format!(
            "{CERTIFICATE_PREFIX}.{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&altered).unwrap()),
            text.rsplit('.').next().unwrap()
        );
        assert_eq!(
            SignedCertificate::decode(&forged).unwrap().verify(&published),
            Err(CertificateError::BadSignature)
        );
        // Another department's key does not verify it either.
        let other = DepartmentKeys::generate();
        assert!(matches!(
            read.verify(&PublishedKeys::from_set(&other.published())),
            Err(CertificateError::UnknownKey(_))
        ));
        assert_eq!(SignedCertificate::decode("WZHC1.x"), Err(CertificateError::Damaged));
        assert_eq!(SignedCertificate::decode("hello"), Err(CertificateError::NotACertificate));
        // Errors name no personal data.
        for error in [CertificateError::BadSignature, CertificateError::Damaged] {
            assert!(!error.to_string().contains("张三"));
        }
    }

    #[test]
    fn keys_survive_a_restart_and_stay_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hall-keys.json");
        let first = DepartmentKeys::load_or_create(&path).unwrap();
        let again = DepartmentKeys::load_or_create(&path).unwrap();
        assert_eq!(
            serde_json::to_string(&first.published()).unwrap(),
            serde_json::to_string(&again.published()).unwrap()
        );
        assert_eq!(first.published().keys.len(), Department::ALL.len());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "{}").unwrap();
        assert!(matches!(DepartmentKeys::load_or_create(&path), Err(KeysError::Malformed(_))));
    }
}
