//! Conversions between domain values and database columns, shared by the
//! backends so both encode and validate stored data the same way.

use time::OffsetDateTime;
use wz_core::IdentityStatus;

use crate::StoreError;

/// A timestamp as stored: Unix milliseconds.
pub fn millis(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// An identity status column.
pub fn status_column(text: &str) -> Result<IdentityStatus, StoreError> {
    IdentityStatus::parse(text).ok_or(StoreError::Corrupt("identity status"))
}

/// An audit hash column (32 bytes).
pub fn hash_column(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes.try_into().map_err(|_| StoreError::Corrupt("audit hash length"))
}

/// An audit sequence column (positive).
pub fn seq_column(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt("audit seq"))
}

/// A credential row's columns, as both backends read them.
#[derive(Debug)]
pub struct CredentialColumns {
    /// `serial`
    pub serial: Vec<u8>,
    /// `number`
    pub number: Vec<u8>,
    /// `lookup`
    pub lookup: Vec<u8>,
    /// `level`
    pub level: String,
    /// `device_key`
    pub device_key: Vec<u8>,
    /// `issued_at_ms`
    pub issued_at_ms: i64,
    /// `expires_at_ms`
    pub expires_at_ms: i64,
    /// `password_epoch`
    pub password_epoch: i64,
    /// `status`
    pub status: String,
    /// `revoked_reason`
    pub revoked_reason: Option<String>,
    /// `revoked_at_ms`
    pub revoked_at_ms: Option<i64>,
    /// `signed`
    pub signed: Vec<u8>,
}

/// The columns every credential query selects, in [`CredentialColumns`] order.
pub const CREDENTIAL_COLUMNS: &str =
    "serial, number, lookup, level, device_key, issued_at_ms, expires_at_ms, password_epoch, status, revoked_reason, revoked_at_ms, signed";

impl CredentialColumns {
    /// Decodes and validates.
    pub fn into_row(self) -> Result<crate::CredentialRow, StoreError> {
        let corrupt = StoreError::Corrupt;
        let status = match (self.status.as_str(), self.revoked_reason, self.revoked_at_ms) {
            ("active", _, _) => crate::CredentialStatus::Active,
            ("revoked", Some(reason), Some(at_ms)) => crate::CredentialStatus::Revoked { reason, at_ms },
            _ => return Err(corrupt("credential status")),
        };
        Ok(crate::CredentialRow {
            serial: wz_core::CredentialSerial::from_bytes(self.serial.try_into().map_err(|_| corrupt("credential serial"))?),
            number: wz_core::CredentialNumber::from_bytes(self.number.try_into().map_err(|_| corrupt("credential number"))?),
            lookup: wz_core::LookupKey::from_slice(&self.lookup).ok_or(corrupt("lookup key"))?,
            level: match self.level.as_str() {
                "L3" => wz_core::AssuranceLevel::L3,
                "L4" => wz_core::AssuranceLevel::L4,
                _ => return Err(corrupt("credential level")),
            },
            device_key: self.device_key,
            issued_at_ms: self.issued_at_ms,
            expires_at_ms: self.expires_at_ms,
            password_epoch: u32::try_from(self.password_epoch).map_err(|_| corrupt("password epoch"))?,
            status,
            signed: self.signed,
        })
    }
}

/// A card password row's columns decoded.
pub fn password_state(
    salt: Vec<u8>,
    digest: Vec<u8>,
    epoch: i64,
    failures: i64,
    locked_until_ms: Option<i64>,
) -> Result<wz_core::PasswordState, StoreError> {
    Ok(wz_core::PasswordState {
        salt: salt.try_into().map_err(|_| StoreError::Corrupt("password salt"))?,
        digest: digest.try_into().map_err(|_| StoreError::Corrupt("password digest"))?,
        epoch: u32::try_from(epoch).map_err(|_| StoreError::Corrupt("password epoch"))?,
        failures: u32::try_from(failures).map_err(|_| StoreError::Corrupt("password failures"))?,
        locked_until_ms,
    })
}

/// An enrolment row's columns, as both backends read them.
#[derive(Debug)]
pub struct EnrolmentColumns {
    /// `id`
    pub id: String,
    /// `terminal_id`
    pub terminal_id: String,
    /// `secret_digest`
    pub secret_digest: Vec<u8>,
    /// `device_key`
    pub device_key: Option<Vec<u8>>,
    /// `state`
    pub state: String,
    /// `credential_serial`
    pub credential_serial: Option<Vec<u8>>,
    /// `created_at_ms`
    pub created_at_ms: i64,
    /// `expires_at_ms`
    pub expires_at_ms: i64,
}

/// The columns every enrolment query selects, in [`EnrolmentColumns`] order.
pub const ENROLMENT_COLUMNS: &str = "id, terminal_id, secret_digest, device_key, state, credential_serial, created_at_ms, expires_at_ms";

impl EnrolmentColumns {
    /// Decodes and validates.
    pub fn into_row(self) -> Result<crate::EnrolmentRow, StoreError> {
        let serial = match self.credential_serial {
            Some(bytes) => Some(wz_core::CredentialSerial::from_bytes(
                bytes.try_into().map_err(|_| StoreError::Corrupt("credential serial"))?,
            )),
            None => None,
        };
        Ok(crate::EnrolmentRow {
            id: self.id,
            terminal_id: self.terminal_id,
            secret_digest: self
                .secret_digest
                .try_into()
                .map_err(|_| StoreError::Corrupt("enrolment secret digest"))?,
            device_key: self.device_key,
            state: crate::EnrolmentState::parse(&self.state).ok_or(StoreError::Corrupt("enrolment state"))?,
            credential_serial: serial,
            created_at_ms: self.created_at_ms,
            expires_at_ms: self.expires_at_ms,
        })
    }
}

/// Columns of `relying_parties`, in order.
pub const RELYING_PARTY_COLUMNS: &str =
    "id, name, category, modes, grants, webhook_url, secret_digest, public_key, alg, active, created_at_ms, updated_at_ms, oidc";

/// A list of wire names (modes, attributes) as stored: comma-separated.
pub fn name_list(names: &[String]) -> String {
    names.join(",")
}

/// Reads [`name_list`].
pub fn name_list_column(text: &str) -> Vec<String> {
    text.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// A relying party's columns, as both backends read them.
#[derive(Debug)]
pub struct RelyingPartyColumns {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `category`.
    pub category: String,
    /// `modes`.
    pub modes: String,
    /// `grants`.
    pub grants: String,
    /// `webhook_url`.
    pub webhook_url: Option<String>,
    /// `secret_digest`.
    pub secret_digest: Vec<u8>,
    /// `public_key`.
    pub public_key: Option<Vec<u8>>,
    /// `alg`.
    pub alg: String,
    /// `active`.
    pub active: bool,
    /// `created_at_ms`.
    pub created_at_ms: i64,
    /// `updated_at_ms`.
    pub updated_at_ms: i64,
    /// `oidc` (JSON).
    pub oidc: Option<String>,
}

impl RelyingPartyColumns {
    /// Validates into a row.
    pub fn into_row(self) -> Result<crate::RelyingPartyRow, StoreError> {
        Ok(crate::RelyingPartyRow {
            id: self.id,
            name: self.name,
            category: self.category,
            modes: name_list_column(&self.modes),
            grants: name_list_column(&self.grants),
            webhook_url: self.webhook_url,
            secret_digest: self
                .secret_digest
                .try_into()
                .map_err(|_| StoreError::Corrupt("relying party secret digest"))?,
            public_key: self.public_key,
            alg: self.alg,
            active: self.active,
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
            oidc: self
                .oidc
                .map(|text| wz_core::OidcClient::from_json(&text).ok_or(StoreError::Corrupt("relying party OpenID Connect settings")))
                .transpose()?,
        })
    }
}

/// Columns of `sessions`, in order.
pub const SESSION_COLUMNS: &str = "id, rp_id, mode, purpose, attributes, transaction_id, label, state, secret, device_key, result, \
     created_at_ms, expires_at_ms, updated_at_ms";

/// Columns of `webhook_outbox`, in order.
pub const WEBHOOK_COLUMNS: &str = "id, rp_id, url, body, attempts, next_attempt_at_ms, delivered_at_ms";

/// A 32-byte secret column.
pub fn secret_column(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes.try_into().map_err(|_| StoreError::Corrupt("session secret length"))
}
