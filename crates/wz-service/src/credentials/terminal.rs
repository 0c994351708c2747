//! Upgraded issuance (升级版, L4) at a trusted terminal: the terminal opens
//! an enrolment and shows its QR code, the wallet scans it and binds its
//! device key, the terminal reads the card, takes the new 8-digit password
//! twice and a photo of the face, and the platform issues the credential to
//! the bound wallet. The same flow resets a forgotten password: the new
//! password starts a new epoch and every older credential is revoked.

use serde_json::json;
use wz_core::{unix_ms, AssuranceLevel, AuditDraft, CardPassword, CardPresentation, Credential, ResultCode};
use wz_crypto::{sm3, Sm2VerifyingKey};
use wz_store::{EnrolmentRow, EnrolmentState, TerminalRow};

use super::{CredentialService, IssueRequest};
use crate::{ServiceError, SignedRequest};

/// An open enrolment, as the terminal shows it.
#[derive(Debug, Clone)]
pub struct OpenedEnrolment {
    /// Session id.
    pub id: String,
    /// What the QR code encodes (holds the one-time secret).
    pub qr_payload: String,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
}

/// What the wallet learns when it binds.
#[derive(Debug, Clone)]
pub struct EnrolmentBinding {
    /// Session id.
    pub enrolment_id: String,
    /// Where the terminal stands, so the citizen can check the place.
    pub terminal_name: String,
}

/// What the terminal submits to complete (personal and biometric data:
/// deliberately not `Debug`).
pub struct TerminalCompletion {
    /// The card as read, answering a platform challenge.
    pub card: CardPresentation,
    /// New password.
    pub password: String,
    /// New password again.
    pub password_confirmation: String,
    /// Photo taken at the terminal (JPEG or PNG).
    pub face: Vec<u8>,
}

impl CredentialService {
    /// Registers a trusted terminal and its SM2 public key (operator only:
    /// the HTTP layer requires the operator token).
    pub async fn register_terminal(&self, name: &str, public_key: &Sm2VerifyingKey, actor: &str) -> Result<TerminalRow, ServiceError> {
        let name = wz_core::check_display_text(name, 100).map_err(|_| {
            ServiceError::InvalidInput("terminal name must be 1 to 100 characters, without control, line-break or bidirectional characters")
        })?;
        let now = self.context.clock.now();
        let row = TerminalRow {
            id: format!("t-{}", hex::encode(self.random::<8>())),
            name: name.to_owned(),
            public_key: public_key.to_sec1_bytes(),
            active: true,
            created_at_ms: unix_ms(now),
        };
        let audit = AuditDraft::new(actor, "terminal.registered", Some(row.id.clone()), now)
            .with_details(json!({ "key_id": public_key.key_id().as_str() }));
        self.context.store.insert_terminal(&row, audit).await?;
        Ok(row)
    }

    /// Opens an enrolment session for the terminal that signed `request`.
    pub async fn open_enrolment(&self, request: SignedRequest<'_>) -> Result<OpenedEnrolment, ServiceError> {
        let terminal = self.context.verify_terminal_request(&request).await?;
        let now = self.context.clock.now();
        let id = hex::encode(self.random::<16>());
        let secret = self.random::<16>();
        let expires_at_ms = unix_ms(now + self.context.policy.enrolment_lifetime);
        let row = EnrolmentRow {
            id: id.clone(),
            terminal_id: terminal.id.clone(),
            secret_digest: sm3(&secret),
            device_key: None,
            state: EnrolmentState::Waiting,
            credential_serial: None,
            created_at_ms: unix_ms(now),
            expires_at_ms,
        };
        let actor = format!("terminal:{}", terminal.id);
        self.context
            .store
            .insert_enrolment(&row, AuditDraft::new(&actor, "enrolment.opened", Some(id.clone()), now))
            .await?;
        Ok(OpenedEnrolment {
            qr_payload: wz_core::enrolment_code(&id, &secret),
            id,
            expires_at_ms,
        })
    }

    /// The wallet that signed `request` scanned `qr_payload`: binds its key.
    pub async fn bind_enrolment(&self, request: SignedRequest<'_>, qr_payload: &str) -> Result<EnrolmentBinding, ServiceError> {
        let device_key = self.context.verify_device_request(&request).await?;
        let (id, secret) = wz_core::parse_enrolment_code(qr_payload).ok_or(ServiceError::Refused(ResultCode::EnrolmentNotFound))?;
        let enrolment = self.open_session(id).await?;
        if !wz_crypto::constant_time_eq(&sm3(&secret), &enrolment.secret_digest) {
            return Err(ServiceError::Refused(ResultCode::EnrolmentNotFound));
        }
        if enrolment.state != EnrolmentState::Waiting {
            return Err(ServiceError::Refused(ResultCode::EnrolmentState));
        }
        let terminal = self
            .context
            .store
            .find_terminal(&enrolment.terminal_id)
            .await?
            .ok_or(ServiceError::RecordCorrupt)?;
        let audit = AuditDraft::new("wallet", "enrolment.bound", Some(id.to_owned()), self.context.clock.now());
        self.context
            .store
            .bind_enrolment(id, &device_key.to_sec1_bytes(), audit)
            .await
            .map_err(|e| match e {
                wz_store::StoreError::Conflict => ServiceError::Refused(ResultCode::EnrolmentState),
                other => other.into(),
            })?;
        Ok(EnrolmentBinding {
            enrolment_id: id.to_owned(),
            terminal_name: terminal.name,
        })
    }

    /// The terminal that signed `request` ends its enrolment `id` without
    /// issuing (the card was refused, the face did not match, the citizen
    /// left): the bound wallet learns `enrolment_cancelled` at once.
    pub async fn cancel_enrolment(&self, request: SignedRequest<'_>, id: &str) -> Result<(), ServiceError> {
        let terminal = self.context.verify_terminal_request(&request).await?;
        let enrolment = self.open_session(id).await?;
        if enrolment.terminal_id != terminal.id {
            return Err(ServiceError::Refused(ResultCode::EnrolmentNotFound));
        }
        let actor = format!("terminal:{}", terminal.id);
        let audit = AuditDraft::new(&actor, "enrolment.cancelled", Some(id.to_owned()), self.context.clock.now());
        self.context.store.cancel_enrolment(id, audit).await.map_err(|e| match e {
            wz_store::StoreError::Conflict => ServiceError::Refused(ResultCode::EnrolmentState),
            other => other.into(),
        })?;
        Ok(())
    }

    /// A session that exists, was not cancelled and has not expired.
    async fn open_session(&self, id: &str) -> Result<EnrolmentRow, ServiceError> {
        let enrolment = self
            .context
            .store
            .find_enrolment(id)
            .await?
            .ok_or(ServiceError::Refused(ResultCode::EnrolmentNotFound))?;
        if enrolment.state == EnrolmentState::Cancelled {
            return Err(ServiceError::Refused(ResultCode::EnrolmentCancelled));
        }
        if enrolment.state != EnrolmentState::Completed && unix_ms(self.context.clock.now()) > enrolment.expires_at_ms {
            return Err(ServiceError::Refused(ResultCode::EnrolmentExpired));
        }
        Ok(enrolment)
    }

    /// Completes a bound enrolment: card, password, face, then issuance of
    /// the upgraded credential to the bound wallet.
    pub async fn complete_enrolment(
        &self,
        request: SignedRequest<'_>,
        id: &str,
        completion: TerminalCompletion,
    ) -> Result<Credential, ServiceError> {
        let terminal = self.context.verify_terminal_request(&request).await?;
        let enrolment = self.open_session(id).await?;
        if enrolment.terminal_id != terminal.id {
            return Err(ServiceError::Refused(ResultCode::EnrolmentNotFound));
        }
        let Some(device_key) = enrolment.device_key.as_deref().filter(|_| enrolment.state == EnrolmentState::Bound) else {
            return Err(ServiceError::Refused(ResultCode::EnrolmentState));
        };
        let device_key = Sm2VerifyingKey::from_sec1_bytes(device_key, "device").map_err(|_| ServiceError::RecordCorrupt)?;
        let (card, lookup, row) = self.read_card_once(&completion.card).await?;
        let record = self.context.open_record(&lookup, &row, true).await?;
        let password = CardPassword::choose(&completion.password, &completion.password_confirmation, card.id_number.birth_date())
            .map_err(|e| ServiceError::Refused(e.into()))?;
        let face = self
            .context
            .face
            .descriptor(completion.face)
            .await?
            .ok_or(ServiceError::Refused(ResultCode::NoFace))?;
        self.compare_with_portrait(&record, face, AssuranceLevel::L4).await?;
        let actor = format!("terminal:{}", terminal.id);
        self.issue(IssueRequest {
            lookup,
            record: &record,
            level: AssuranceLevel::L4,
            device_key: &device_key,
            new_password: Some(password),
            enrolment: Some(id.to_owned()),
            actor: &actor,
        })
        .await
    }

    /// Verifies a card presented to act on (issue, authenticate): its
    /// challenge is spent, so the same answer cannot be used twice.
    pub(crate) async fn read_card_once(
        &self,
        presentation: &CardPresentation,
    ) -> Result<(wz_core::VerifiedCard, wz_core::LookupKey, wz_store::IdentityRow), ServiceError> {
        let now = self.context.clock.now();
        let (card, lookup, row) = self.cards.verify_presented(presentation, now).await.map_err(|(error, _)| error)?;
        self.cards.spend_challenge(presentation).await?;
        Ok((card, lookup, row))
    }

    /// The credential an enrolment issued, for the wallet bound to it.
    pub async fn enrolled_credential(&self, request: SignedRequest<'_>, id: &str) -> Result<Credential, ServiceError> {
        let device_key = self.context.verify_device_request(&request).await?;
        let enrolment = self.open_session(id).await?;
        if enrolment.device_key.as_deref() != Some(device_key.to_sec1_bytes().as_slice()) {
            return Err(ServiceError::Refused(ResultCode::EnrolmentNotFound));
        }
        let serial = enrolment
            .credential_serial
            .ok_or(ServiceError::Refused(ResultCode::EnrolmentState))?;
        let row = self
            .context
            .store
            .find_credential(&serial)
            .await?
            .ok_or(ServiceError::RecordCorrupt)?;
        Credential::from_bytes(&row.signed).map_err(|_| ServiceError::RecordCorrupt)
    }
}
