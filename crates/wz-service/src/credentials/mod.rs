//! The network ID credential (网证) use cases: light issuance online,
//! upgraded issuance at a trusted terminal, the wallet's own requests
//! (status, password check, enrolment), and the issuance step they share.

mod light;
mod terminal;
mod wallet;

pub use light::{LightApplication, LiveSequence, SpeechLanguage, SpokenAudio};
pub use terminal::{EnrolmentBinding, OpenedEnrolment, TerminalCompletion};
pub use wallet::{CredentialView, PasswordCheckResult, UsageEntry};

use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde_json::json;
use time::Duration;
use wz_core::{
    AssuranceLevel, AuditDraft, CardPassword, Credential, CredentialNumber, CredentialSerial, IdentityRecord, Issuance, LockoutPolicy,
    LookupKey, PasswordState, ResultCode,
};
use wz_crypto::Sm2VerifyingKey;
use wz_store::{CredentialRow, CredentialStatus, NewCredential, PasswordUpdate, StoreError};

use crate::rate_limit::{IssuanceLimits, Limit, Limiter, RateQuota};
use crate::{CardService, ServiceContext, ServiceError};

/// Tunable rules of credential issuance and use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialPolicy {
    /// How long a light (L3) credential lives, at most.
    pub light_lifetime: Duration,
    /// How long an upgraded (L4) credential lives, at most.
    pub upgraded_lifetime: Duration,
    /// Wrong-password lockout.
    pub lockout: LockoutPolicy,
    /// How long a liveness challenge may be answered.
    pub challenge_lifetime: Duration,
    /// How long the frames of a checked liveness sequence are remembered, so
    /// that the same pictures sent again (a replayed recording) are refused.
    pub liveness_frame_memory: Duration,
    /// Refuse a light application that sends no audio of the digits read
    /// aloud (off by default until every wallet records it; audio that is
    /// sent is always checked).
    pub require_speech: bool,
    /// How long a terminal enrolment session stays open.
    pub enrolment_lifetime: Duration,
    /// Light applications per client address.
    pub per_client: RateQuota,
    /// Light applications per identity.
    pub per_identity: RateQuota,
    /// Authentication requests per relying party.
    pub per_relying_party: RateQuota,
    /// Count the per-party and per-identity limits for the whole cluster
    /// in the store (several instances on one database) instead of in
    /// this process.
    pub cluster_wide_limits: bool,
}

impl Default for CredentialPolicy {
    fn default() -> Self {
        Self {
            light_lifetime: Duration::days(365),
            upgraded_lifetime: Duration::days(3 * 365),
            lockout: LockoutPolicy::default(),
            challenge_lifetime: Duration::minutes(2),
            liveness_frame_memory: Duration::days(90),
            require_speech: false,
            enrolment_lifetime: Duration::minutes(10),
            // Generous per address: carrier-grade NAT puts many citizens
            // behind one address; the per-identity quota is the tight one.
            per_client: RateQuota {
                burst: 120,
                period: StdDuration::from_secs(60),
            },
            per_identity: RateQuota {
                burst: 5,
                period: StdDuration::from_secs(600),
            },
            per_relying_party: RateQuota {
                burst: 20_000,
                period: StdDuration::from_secs(1),
            },
            cluster_wide_limits: false,
        }
    }
}

/// Credential use cases.
#[derive(Clone)]
pub struct CredentialService {
    context: ServiceContext,
    cards: CardService,
    limits: Arc<IssuanceLimits>,
}

/// What an issuance needs beyond the registry record.
struct IssueRequest<'a> {
    lookup: LookupKey,
    record: &'a IdentityRecord,
    level: AssuranceLevel,
    device_key: &'a Sm2VerifyingKey,
    new_password: Option<CardPassword>,
    enrolment: Option<String>,
    actor: &'a str,
}

impl CredentialService {
    pub(crate) fn new(context: ServiceContext) -> Self {
        let policy = context.policy;
        Self {
            limits: Arc::new(IssuanceLimits {
                per_client: Limiter::new(policy.per_client),
                per_identity: Limit::new("identity", policy.per_identity, context.shared_limits()),
            }),
            cards: CardService::new(context.clone()),
            context,
        }
    }

    fn random<const N: usize>(&self) -> [u8; N] {
        let mut bytes = [0u8; N];
        self.context.entropy.fill(&mut bytes);
        bytes
    }

    /// Compares a live face with the registry portrait, as strictly as the
    /// level it is to prove demands.
    pub(crate) async fn compare_with_portrait(
        &self,
        record: &IdentityRecord,
        face: wz_face::FaceDescriptor,
        level: AssuranceLevel,
    ) -> Result<(), ServiceError> {
        let portrait = record
            .portrait
            .clone()
            .ok_or(ServiceError::Refused(ResultCode::PortraitUnavailable))?;
        let reference = self
            .context
            .face
            .descriptor(portrait)
            .await
            .map_err(|_| ServiceError::Refused(ResultCode::PortraitUnavailable))?
            .ok_or(ServiceError::Refused(ResultCode::PortraitUnavailable))?;
        if !face.matches(&reference, crate::faces::strictness_for(level)) {
            return Err(ServiceError::Refused(ResultCode::FaceMismatch));
        }
        Ok(())
    }

    /// Signs and stores a credential, revoking the holder's active one.
    /// Retries when a concurrent password change moved the epoch; refuses
    /// with the card's code when its status changed meanwhile.
    async fn issue(&self, request: IssueRequest<'_>) -> Result<Credential, ServiceError> {
        for _ in 0..3 {
            match self.try_issue(&request).await {
                Err(ServiceError::Store(StoreError::Conflict)) => {
                    let row = self
                        .context
                        .store
                        .find_identity(&request.lookup)
                        .await?
                        .ok_or(ServiceError::IdentityNotFound)?;
                    if let Some(code) = row.status.refusal() {
                        return Err(ServiceError::CardRefused(code));
                    }
                    if request.enrolment.is_some() {
                        return Err(ServiceError::Refused(ResultCode::EnrolmentState));
                    }
                }
                other => return other,
            }
        }
        Err(ServiceError::Store(StoreError::Conflict))
    }

    async fn try_issue(&self, request: &IssueRequest<'_>) -> Result<Credential, ServiceError> {
        let context = &self.context;
        let now = context.clock.now();
        let current = context.store.find_password(&request.lookup).await?;
        let (password_epoch, password, replaces_reason) = match &request.new_password {
            Some(password) => {
                let salt = self.random::<16>();
                let epoch = current.as_ref().map_or(1, |p| p.epoch + 1);
                let state = PasswordState {
                    salt,
                    digest: password.digest(&context.keyring.password_pepper, &salt, &request.lookup),
                    epoch,
                    failures: 0,
                    locked_until_ms: None,
                };
                let reason = if current.is_some() {
                    ResultCode::CredentialPasswordReset
                } else {
                    ResultCode::CredentialReplaced
                };
                let update = PasswordUpdate {
                    expected_epoch: current.as_ref().map(|p| p.epoch),
                    state,
                };
                (epoch, Some(update), reason)
            }
            None => (current.as_ref().map_or(0, |p| p.epoch), None, ResultCode::CredentialReplaced),
        };
        let (level, lifetime) = match request.level {
            AssuranceLevel::L4 => (AssuranceLevel::L4, context.policy.upgraded_lifetime),
            _ => (AssuranceLevel::L3, context.policy.light_lifetime),
        };
        let number = CredentialNumber::derive(&context.keyring.credential_number_key, &request.record.id_number);
        let platform = &context.keyring.platform_sm2;
        let credential = Issuance {
            serial: CredentialSerial::from_bytes(self.random()),
            number,
            level,
            device_key: request.device_key.clone(),
            password_epoch,
            now,
            lifetime,
            card_validity: request.record.validity,
        }
        .body(platform)
        .map_err(|e| ServiceError::Refused(e.into()))?
        .sign(platform)
        .map_err(|e| ServiceError::Refused(e.into()))?;
        let body = credential.body();
        let row = CredentialRow {
            serial: body.serial,
            number,
            lookup: request.lookup,
            level,
            device_key: body.device_key.clone(),
            issued_at_ms: body.issued_at * 1000,
            expires_at_ms: body.expires_at * 1000,
            password_epoch,
            status: CredentialStatus::Active,
            signed: credential.to_bytes(),
        };
        let audit = AuditDraft::new(request.actor, "credential.issued", Some(short_number(&number)), now).with_details(json!({
            "serial": body.serial.to_hex(),
            "level": level.as_str(),
            "password_epoch": password_epoch,
            "enrolment": request.enrolment,
        }));
        let new = NewCredential {
            row,
            replaces_reason: replaces_reason.as_str().to_owned(),
            password,
            enrolment: request.enrolment.clone(),
        };
        context.store.insert_credential(&new, audit).await.map_err(|e| match e {
            StoreError::Conflict => ServiceError::Store(StoreError::Conflict),
            other => other.into(),
        })?;
        Ok(credential)
    }

    /// The QR key the wallet of credential `serial` MACs its codes with
    /// (handed over with the credential; derived, never stored).
    pub fn qr_key(&self, serial: &CredentialSerial) -> [u8; 32] {
        wz_core::qr_key(&self.context.keyring.qr_mac_key, serial)
    }

    /// Parses and checks a credential presented by a wallet: platform
    /// signature and time. Returns its stored row.
    async fn presented(&self, text: &str) -> Result<(Credential, CredentialRow), ServiceError> {
        let credential = Credential::from_text(text).map_err(|e| ServiceError::Refused(e.into()))?;
        let platform = self.context.keyring.platform_sm2.verifying_key();
        credential
            .verify(|id| (id == platform.key_id().as_str()).then_some(&platform))
            .map_err(|e| ServiceError::Refused(e.into()))?;
        let row = self
            .context
            .store
            .find_credential(&credential.body().serial)
            .await?
            .ok_or(ServiceError::Refused(ResultCode::CredentialNotFound))?;
        Ok((credential, row))
    }
}

/// The audit subject for a holder: the first 16 hex digits of the
/// credential number (pseudonymous).
pub(crate) fn short_number(number: &CredentialNumber) -> String {
    format!("cn:{}", &number.to_hex()[..16])
}

/// The result code a revoked credential is refused with.
pub(crate) fn revocation_code(status: &CredentialStatus) -> Option<ResultCode> {
    match status {
        CredentialStatus::Active => None,
        CredentialStatus::Revoked { reason, .. } => Some(ResultCode::parse(reason).unwrap_or(ResultCode::CredentialRevoked)),
    }
}
