//! Requests a wallet signs about its own credential: its status as the
//! platform sees it, and a check of the 8-digit card password.

use serde_json::json;
use wz_core::{AssuranceLevel, AuditDraft, CardPassword, CredentialSerial, PasswordAttempt, ResultCode};

use super::{revocation_code, short_number, CredentialService};
use crate::{ServiceError, SignedRequest};

/// A credential as the platform sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialView {
    /// Serial.
    pub serial: CredentialSerial,
    /// L3 or L4.
    pub level: AssuranceLevel,
    /// Unix milliseconds.
    pub issued_at_ms: i64,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
    /// `success` while usable, else the code it is refused with
    /// (`credential_replaced`, `card_reported_lost`, `credential_expired`, …).
    pub state: ResultCode,
}

/// The result of a password check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCheckResult {
    /// `success`, `password_wrong` or `password_locked`.
    pub result: ResultCode,
    /// Attempts left before the lock (on `password_wrong`).
    pub remaining_attempts: Option<u32>,
    /// Until when locked (on `password_locked`), Unix milliseconds.
    pub locked_until_ms: Option<i64>,
}

impl CredentialService {
    /// Checks that `request` was signed by the device the credential names.
    async fn own_credential(&self, request: SignedRequest<'_>, credential: &str) -> Result<wz_store::CredentialRow, ServiceError> {
        let device_key = self.context.verify_device_request(&request).await?;
        let (credential, row) = self.presented(credential).await?;
        if credential.body().device_key != device_key.to_sec1_bytes() {
            return Err(ServiceError::Refused(ResultCode::RequestSignatureInvalid));
        }
        Ok(row)
    }

    /// The status of the wallet's credential.
    pub async fn credential_status(&self, request: SignedRequest<'_>, credential: &str) -> Result<CredentialView, ServiceError> {
        let row = self.own_credential(request, credential).await?;
        let now_ms = wz_core::unix_ms(self.context.clock.now());
        let state = revocation_code(&row.status).unwrap_or(if now_ms > row.expires_at_ms {
            ResultCode::CredentialExpired
        } else {
            ResultCode::Success
        });
        Ok(CredentialView {
            serial: row.serial,
            level: row.level,
            issued_at_ms: row.issued_at_ms,
            expires_at_ms: row.expires_at_ms,
            state,
        })
    }

    /// Checks the card password of the holder of the wallet's credential.
    /// Attempts count per identity across every device; the fifth failure
    /// in a row locks the password for the policy's time.
    pub async fn check_password(
        &self,
        request: SignedRequest<'_>,
        credential: &str,
        password: &str,
    ) -> Result<PasswordCheckResult, ServiceError> {
        let row = self.own_credential(request, credential).await?;
        if let Some(code) = revocation_code(&row.status) {
            return Err(ServiceError::Refused(code));
        }
        self.attempt_password(&row, password, "wallet").await
    }

    /// One counted password attempt for the holder of `row`, audited with
    /// `actor`.
    pub(crate) async fn attempt_password(
        &self,
        row: &wz_store::CredentialRow,
        password: &str,
        actor: &str,
    ) -> Result<PasswordCheckResult, ServiceError> {
        let password = CardPassword::parse(password).map_err(|e| ServiceError::Refused(e.into()))?;
        let actor = actor.to_owned();
        let context = &self.context;
        let now = context.clock.now();
        let (pepper, lookup) = (&context.keyring.password_pepper, row.lookup);
        let check = move |state: &wz_core::PasswordState| password.matches(pepper, &state.salt, &lookup, &state.digest);
        let subject = short_number(&row.number);
        let audit = move |outcome: PasswordAttempt| {
            let code: ResultCode = outcome.into();
            AuditDraft::new(&actor, "password.checked", Some(subject.clone()), now).with_details(json!({ "result": code.as_str() }))
        };
        let outcome = context
            .store
            .attempt_password(&row.lookup, now, context.policy.lockout, &check, &audit)
            .await
            .map_err(|e| match e {
                wz_store::StoreError::NotFound => ServiceError::Refused(ResultCode::PasswordNotSet),
                other => other.into(),
            })?;
        Ok(match outcome {
            PasswordAttempt::Correct => PasswordCheckResult {
                result: ResultCode::Success,
                remaining_attempts: None,
                locked_until_ms: None,
            },
            PasswordAttempt::Wrong { remaining } => PasswordCheckResult {
                result: ResultCode::PasswordWrong,
                remaining_attempts: Some(remaining),
                locked_until_ms: None,
            },
            PasswordAttempt::Locked { until_ms } => PasswordCheckResult {
                result: ResultCode::PasswordLocked,
                remaining_attempts: None,
                locked_until_ms: Some(until_ms),
            },
        })
    }
}

/// One use of a holder's identity by a relying party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageEntry {
    /// Unix milliseconds.
    pub at_ms: i64,
    /// Relying party id.
    pub rp_id: String,
    /// Mode.
    pub mode: String,
    /// Purpose stated.
    pub purpose: String,
    /// Result code.
    pub result: String,
    /// Attributes released in full.
    pub released: Vec<String>,
}

/// Longest history returned.
pub const HISTORY_LIMIT: u32 = 200;

impl CredentialService {
    /// Where the wallet holder's identity was used, newest first: every
    /// authentication a relying party made, whatever credential or mode.
    pub async fn history(&self, request: SignedRequest<'_>, credential: &str) -> Result<Vec<UsageEntry>, ServiceError> {
        let row = self.own_credential(request, credential).await?;
        let entries = self
            .context
            .store
            .list_audit_by_subject(&short_number(&row.number), "auth.completed", HISTORY_LIMIT)
            .await?;
        Ok(entries
            .into_iter()
            .map(|entry| {
                let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap_or_default();
                let text = |key: &str| details[key].as_str().unwrap_or_default().to_owned();
                UsageEntry {
                    at_ms: entry.at_ms,
                    rp_id: text("rp"),
                    mode: text("mode"),
                    purpose: text("purpose"),
                    result: text("result"),
                    released: details["released"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                        .unwrap_or_default(),
                }
            })
            .collect())
    }
}
