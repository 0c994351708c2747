//! Server-to-server authentication of a person for a relying party, in the
//! nine modes of SPEC §5. The answer is a signed statement: the result code
//! (success or the precise reason), the level achieved, the RP's pairwise
//! subject for the person and the fields it may see. Errors in the request
//! itself (a mode the RP may not use, missing inputs, an unreadable image)
//! are not statements but request errors.
//!
//! Consent in these modes: a person who hands the RP a wallet code (or
//! their card) consents to that RP's granted attributes; the ID-number
//! modes only confirm what the RP already holds, so they release nothing
//! beyond the desensitised fields.

use std::sync::Arc;

use serde_json::json;
use wz_core::{
    disclose, pairwise_subject, releasable, unix_ms, AssuranceLevel, Attribute, AuditDraft, AuthMode, AuthStatement, CardPresentation,
    CredentialNumber, IdentityRecord, NationalIdNumber, ResultAlg, ResultCode, SignedStatement,
};
use wz_store::RelyingPartyRow;

use crate::credentials::short_number;
use crate::qr_verification::AuditTag;
use crate::rate_limit::Limit;
use crate::relying_parties::row_alg;
use crate::result_signer::ResultSigner;
use crate::ttl_cache::TtlCache;
use crate::{CredentialService, LiveSequence, QrService, ServiceContext, ServiceError, SpeechLanguage};

/// Holders remembered (attributes only, never portraits).
const HOLDER_CACHE_ENTRIES: usize = 50_000;
/// How long a remembered holder is used. A card status change revokes the
/// credential, which the code's verification sees at once; only attribute
/// changes (a new name) can lag this long.
const HOLDER_CACHE_MS: i64 = 60_000;

/// Longest purpose text.
pub const MAX_PURPOSE_CHARS: usize = 200;

/// What a relying party sends (personal and biometric data: deliberately
/// not `Debug`).
#[derive(Default)]
pub struct AuthRequest {
    /// The mode.
    pub mode: Option<AuthMode>,
    /// Why it asks (shown in the citizen's history).
    pub purpose: String,
    /// Attributes it would like in full.
    pub attributes: Vec<Attribute>,
    /// Result signature algorithm; the RP's registered one if absent.
    pub alg: Option<ResultAlg>,
    /// ID number (ID-number modes).
    pub id_number: Option<String>,
    /// Name (ID-number modes).
    pub name: Option<String>,
    /// Card validity as printed, `2015.03.01-2035.03.01` (validity modes).
    pub validity: Option<String>,
    /// Live portrait, JPEG or PNG (portrait modes): one still picture.
    pub portrait: Option<Vec<u8>>,
    /// A face sequence answering a liveness challenge (portrait modes,
    /// instead of `portrait`): proves a live person, not a photo.
    pub live: Option<LiveSequence>,
    /// The wallet's code `WZQR1:…` (credential modes and `qr_verify`).
    pub code: Option<String>,
    /// The 8-digit card password (`portrait_credential_pin`).
    pub password: Option<String>,
    /// The card read at the RP (`card_portrait_credential`).
    pub card: Option<CardPresentation>,
}

/// Who was authenticated, before minimisation.
struct Verified {
    record: IdentityRecord,
    level: AssuranceLevel,
}

/// Server-to-server authentication.
#[derive(Clone)]
pub struct AuthenticationService {
    context: ServiceContext,
    credentials: CredentialService,
    qr: QrService,
    per_party: Arc<Limit>,
    signer: ResultSigner,
    holders: Arc<TtlCache<wz_core::CredentialSerial, (wz_store::CredentialRow, IdentityRecord)>>,
}

/// Whether an error is the authentication's answer (a signed statement)
/// rather than a fault in the request or the platform.
fn verdict(error: &ServiceError) -> Option<ResultCode> {
    match error {
        ServiceError::Refused(code) if *code != ResultCode::InvalidRequest => Some(*code),
        ServiceError::CardRefused(code) => Some(*code),
        ServiceError::IdentityNotFound | ServiceError::InvalidIdNumber(_) | ServiceError::Card(_) => Some(error.result_code()),
        _ => None,
    }
}

impl AuthenticationService {
    pub(crate) fn new(context: ServiceContext, credentials: CredentialService, qr: QrService) -> Self {
        Self {
            per_party: Arc::new(Limit::new("rp", context.policy.per_relying_party, context.shared_limits())),
            signer: ResultSigner::new(Arc::clone(&context.keyring)),
            holders: Arc::new(TtlCache::new(HOLDER_CACHE_ENTRIES, HOLDER_CACHE_MS)),
            context,
            credentials,
            qr,
        }
    }

    /// Counts one request against `rp`'s quota (`rate_limited` beyond it):
    /// for calls that start authentications without being one yet, such as
    /// an OpenID Connect authorization request.
    pub async fn charge(&self, rp: &RelyingPartyRow) -> Result<(), ServiceError> {
        self.per_party
            .check(&rp.id)
            .await
            .map_err(|retry_after| ServiceError::RateLimited { retry_after })
    }

    /// Authenticates a person for `rp` and signs the answer.
    pub async fn authenticate(
        &self,
        rp: &RelyingPartyRow,
        request_id: &str,
        request: AuthRequest,
    ) -> Result<SignedStatement, ServiceError> {
        self.per_party
            .check(&rp.id)
            .await
            .map_err(|retry_after| ServiceError::RateLimited { retry_after })?;
        let mode = request.mode.ok_or(ServiceError::InvalidInput("mode is required"))?;
        if !rp.modes.iter().any(|m| m == mode.as_str()) {
            return Err(ServiceError::Refused(ResultCode::ModeNotAllowed));
        }
        let purpose = check_purpose(&request.purpose)?.to_owned();
        check_inputs(mode, &request)?;
        let granted: Vec<Attribute> = rp.grants.iter().filter_map(|g| Attribute::parse(g)).collect();
        let consented = mode.needs_credential();
        let released = releasable(&request.attributes, &granted, consented);
        let mut tag = AuditTag::for_party(&rp.id, "auth.completed");
        tag.details.insert("mode".into(), json!(mode.as_str()));
        tag.details.insert("purpose".into(), json!(purpose));
        tag.details
            .insert("released".into(), json!(released.iter().map(|a| a.as_str()).collect::<Vec<_>>()));

        let (outcome, number, subject) = self.run(mode, &request, &mut tag).await;
        let (code, verified) = match outcome {
            Ok(verified) => (ResultCode::Success, Some(verified)),
            Err(error) => match verdict(&error) {
                Some(code) => (code, None),
                None => return Err(error),
            },
        };
        // The QR verification already derived the subject for this party.
        let pairwise = subject.or_else(|| {
            number
                .as_ref()
                .map(|number| pairwise_subject(&self.context.keyring.credential_number_key, &rp.id, number))
        });
        // The journal already audited QR-only modes; the rest are audited here.
        if !matches!(mode, AuthMode::Credential | AuthMode::QrVerify) {
            let mut details = tag.details.clone();
            details.insert("result".into(), json!(code.as_str()));
            if code != ResultCode::Success {
                details.insert("released".into(), json!([]));
            }
            if let Some(subject) = &pairwise {
                details.insert("pairwise_subject".into(), json!(subject));
            }
            let audit = AuditDraft::new(
                &rp.id,
                "auth.completed",
                number.as_ref().map(short_number),
                self.context.clock.now(),
            )
            .with_details(details.into());
            self.context.store.append_audit(audit).await?;
        }
        let (subject, attributes, level) = match (&verified, pairwise) {
            (Some(verified), Some(subject)) => {
                let (fields, _) = disclose(&verified.record, &request.attributes, &granted, consented);
                (Some(subject), fields, Some(verified.level.as_str().to_owned()))
            }
            _ => (None, Default::default(), None),
        };
        let statement = AuthStatement {
            version: 1,
            request_id: request_id.to_owned(),
            rp_id: rp.id.clone(),
            mode: mode.as_str().to_owned(),
            result: code.as_str().to_owned(),
            level,
            subject,
            attributes,
            purpose,
            issued_at_ms: unix_ms(self.context.clock.now()),
            // A face was compared from a sequence that answered its
            // challenge (a failed one does not reach a success).
            liveness: match (&verified, &request.live) {
                (Some(_), Some(live)) if mode.needs_portrait() => Some(
                    match live.speech.as_ref().map(|speech| speech.language) {
                        Some(SpeechLanguage::English) => "spoken_digits",
                        Some(SpeechLanguage::Mandarin) => "voice",
                        None => "face_sequence",
                    }
                    .to_owned(),
                ),
                _ => None,
            },
        };
        let alg = request.alg.unwrap_or_else(|| row_alg(rp));
        self.signer.sign(statement.payload(), alg).await
    }

    /// Runs the mode's checks. Returns the person (or why not), their
    /// credential number once known, and their pairwise subject for the
    /// tag's party where the QR verification already derived it.
    async fn run(
        &self,
        mode: AuthMode,
        request: &AuthRequest,
        tag: &mut AuditTag,
    ) -> (Result<Verified, ServiceError>, Option<CredentialNumber>, Option<String>) {
        match mode {
            AuthMode::IdName | AuthMode::IdNameValidity | AuthMode::PortraitIdName | AuthMode::PortraitIdNameValidity => {
                let id_number = match NationalIdNumber::parse(request.id_number.as_deref().unwrap_or_default().trim()) {
                    Ok(id) => id,
                    Err(error) => return (Err(error.into()), None, None),
                };
                let number = CredentialNumber::derive(&self.context.keyring.credential_number_key, &id_number);
                (self.by_id_number(mode, request, &id_number).await, Some(number), None)
            }
            _ => {
                // Portrait, password and card modes audit the code's use
                // separately from their final answer.
                if !matches!(mode, AuthMode::Credential | AuthMode::QrVerify) {
                    tag.action = "qr.verified";
                }
                let code = request.code.as_deref().unwrap_or_default();
                let mut verified = match self.qr.verify_tagged(code, tag).await {
                    Ok(verified) => verified,
                    Err(error) => return (Err(error), None, None),
                };
                let number = verified.number;
                let subject = verified.subject.take();
                (self.by_credential(mode, request, verified, &tag.actor).await, Some(number), subject)
            }
        }
    }

    async fn by_id_number(&self, mode: AuthMode, request: &AuthRequest, id_number: &NationalIdNumber) -> Result<Verified, ServiceError> {
        let (lookup, row) = self.context.get_identity(id_number).await?;
        let record = self.context.open_record(&lookup, &row, mode.needs_portrait()).await?;
        if request.name.as_deref().map(str::trim) != Some(record.name.as_str()) {
            return Err(ServiceError::Refused(ResultCode::NameMismatch));
        }
        if let Some(code) = row.status.refusal() {
            return Err(ServiceError::CardRefused(code));
        }
        if matches!(mode, AuthMode::IdNameValidity | AuthMode::PortraitIdNameValidity)
            && request.validity.as_deref().map(str::trim) != Some(record.validity.printed().as_str())
        {
            return Err(ServiceError::Refused(ResultCode::ValidityMismatch));
        }
        let level = if mode.needs_portrait() {
            self.portrait_matches(request, &record, AssuranceLevel::L2).await?;
            AssuranceLevel::L2
        } else {
            AssuranceLevel::L1
        };
        Ok(Verified { record, level })
    }

    async fn by_credential(
        &self,
        mode: AuthMode,
        request: &AuthRequest,
        verified: crate::QrVerification,
        actor: &str,
    ) -> Result<Verified, ServiceError> {
        let (credential, record) = self.holder(&verified, mode.needs_portrait()).await?;
        if mode == AuthMode::PortraitCredentialPin && verified.level != AssuranceLevel::L4 {
            return Err(ServiceError::Refused(ResultCode::LevelInsufficient));
        }
        if mode == AuthMode::CardPortraitCredential {
            let card = request.card.as_ref().ok_or(ServiceError::InvalidInput("card is required"))?;
            let (_, card_lookup, _) = self.credentials.read_card_once(card).await?;
            if card_lookup != credential.lookup {
                return Err(ServiceError::Refused(ResultCode::CardCredentialMismatch));
            }
        }
        let level = match mode {
            AuthMode::PortraitCredentialPin | AuthMode::CardPortraitCredential => AssuranceLevel::L4,
            _ => verified.level,
        };
        if mode.needs_portrait() {
            self.portrait_matches(request, &record, level).await?;
        }
        if mode == AuthMode::PortraitCredentialPin {
            let password = request.password.as_deref().unwrap_or_default();
            let checked = self.credentials.attempt_password(&credential, password, actor).await?;
            if checked.result != ResultCode::Success {
                return Err(ServiceError::Refused(checked.result));
            }
        }
        Ok(Verified { record, level })
    }

    /// The credential row and the holder's record. Modes that do not
    /// compare faces read them through a short-lived cache without the
    /// portrait: opening a sealed record with its portrait costs more than
    /// the rest of the request.
    async fn holder(
        &self,
        verified: &crate::QrVerification,
        with_portrait: bool,
    ) -> Result<(wz_store::CredentialRow, IdentityRecord), ServiceError> {
        let now_ms = unix_ms(self.context.clock.now());
        if !with_portrait {
            if let Some(hit) = self.holders.get(&verified.serial, now_ms) {
                return Ok(hit);
            }
        }
        let store = &self.context.store;
        let credential = store.find_credential(&verified.serial).await?.ok_or(ServiceError::RecordCorrupt)?;
        let row = store.find_identity(&credential.lookup).await?.ok_or(ServiceError::RecordCorrupt)?;
        let mut record = self.context.open_record(&credential.lookup, &row, with_portrait).await?;
        let portrait = record.portrait.take();
        self.holders.put(verified.serial, (credential.clone(), record.clone()), now_ms);
        record.portrait = portrait;
        Ok((credential, record))
    }

    /// The live portrait matches the registry's at `level`'s strictness.
    /// From a live sequence when sent, else the one portrait.
    async fn portrait_matches(&self, request: &AuthRequest, record: &IdentityRecord, level: AssuranceLevel) -> Result<(), ServiceError> {
        let face = match &request.live {
            Some(live) => self.credentials.live_face(live).await?,
            None => self
                .context
                .face
                .descriptor(request.portrait.clone().unwrap_or_default())
                .await?
                .ok_or(ServiceError::Refused(ResultCode::NoFace))?,
        };
        self.credentials.compare_with_portrait(record, face, level).await
    }
}

/// Every input the mode needs is present.
fn check_inputs(mode: AuthMode, request: &AuthRequest) -> Result<(), ServiceError> {
    let by_id = matches!(
        mode,
        AuthMode::IdName | AuthMode::IdNameValidity | AuthMode::PortraitIdName | AuthMode::PortraitIdNameValidity
    );
    if by_id && (request.id_number.is_none() || request.name.is_none()) {
        return Err(ServiceError::InvalidInput("this mode needs id_number and name"));
    }
    if matches!(mode, AuthMode::IdNameValidity | AuthMode::PortraitIdNameValidity) && request.validity.is_none() {
        return Err(ServiceError::InvalidInput("this mode needs validity"));
    }
    if mode.needs_portrait() && request.portrait.is_none() && request.live.is_none() {
        return Err(ServiceError::InvalidInput("this mode needs portrait"));
    }
    if !by_id && request.code.is_none() {
        return Err(ServiceError::InvalidInput("this mode needs the wallet's code"));
    }
    if mode == AuthMode::PortraitCredentialPin && request.password.is_none() {
        return Err(ServiceError::InvalidInput("this mode needs password"));
    }
    if mode == AuthMode::CardPortraitCredential && request.card.is_none() {
        return Err(ServiceError::InvalidInput("this mode needs card"));
    }
    Ok(())
}

/// A purpose as the citizen will read it: 1 to [`MAX_PURPOSE_CHARS`]
/// characters, no control, line-break, bidirectional or invisible format
/// characters (see [`wz_core::check_display_text`]); trimmed.
pub(crate) fn check_purpose(purpose: &str) -> Result<&str, ServiceError> {
    wz_core::check_display_text(purpose, MAX_PURPOSE_CHARS).map_err(|_| {
        ServiceError::InvalidInput("purpose must have 1 to 200 characters, without control, line-break or bidirectional characters")
    })
}
