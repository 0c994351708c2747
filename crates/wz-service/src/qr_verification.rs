//! Verifying wallet QR codes (二维码验码).
//!
//! Cost per verification, by design: no asymmetric operation when the
//! code's MAC checks under the credential's QR key (two HMAC-SM3), else one
//! SM2 verification of the device signature; the platform signature over
//! the credential is checked once per credential and remembered by the
//! credential's SM3 digest. The credential's status check, the single use
//! of the code and its audit entry happen in a journal task that takes
//! whatever verifications are waiting into one transaction (group commit),
//! so a burst shares one disk sync and one trip to the database's thread
//! instead of paying them each.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::json;
use wz_core::{
    qr_key, unix_ms, AssuranceLevel, AuditDraft, CredentialNumber, CredentialSerial, QrError, ResultCode, WalletQr, QR_LIFETIME_MS,
};
use wz_store::{NonceUse, Store, UseOutcome};

use crate::credentials::short_number;
use crate::group_commit::{BatchFuture, GroupCommit};
use crate::{ServiceContext, ServiceError};

/// Most verifications one journal transaction carries.
const MAX_BATCH: usize = 256;
/// Verified credential digests remembered before the memory is cleared.
const CACHE_LIMIT: usize = 200_000;

/// A verified code: what the verifier learns (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrVerification {
    /// The credential's serial.
    pub serial: CredentialSerial,
    /// The holder's credential number (pseudonymous).
    pub number: CredentialNumber,
    /// L3 or L4.
    pub level: AssuranceLevel,
    /// When the credential expires, Unix milliseconds.
    pub credential_expires_at_ms: i64,
    /// The holder's pairwise subject for the relying party the
    /// verification was tagged with (as audited); `None` without one.
    pub subject: Option<String>,
}

/// One use for the journal: the nonce, and the audit entry whose `result`
/// is filled in from the outcome.
type JournalEntry = (NonceUse, AuditDraft);

/// The result code of a recorded use.
fn outcome_code(outcome: &UseOutcome) -> ResultCode {
    match outcome {
        UseOutcome::Fresh => ResultCode::Success,
        UseOutcome::Replayed => ResultCode::QrReplayed,
        UseOutcome::Revoked(reason) => ResultCode::parse(reason).unwrap_or(ResultCode::CredentialRevoked),
        UseOutcome::UnknownCredential => ResultCode::CredentialNotFound,
    }
}

/// QR code verification.
#[derive(Clone)]
pub struct QrService {
    context: ServiceContext,
    verified: Arc<Mutex<HashSet<[u8; 32]>>>,
    journal: GroupCommit<JournalEntry, Result<UseOutcome, ServiceError>>,
}

impl QrService {
    pub(crate) fn new(context: ServiceContext) -> Self {
        Self {
            verified: Arc::new(Mutex::new(HashSet::new())),
            journal: journal(Arc::clone(&context.store)),
            context,
        }
    }

    /// Verifies scanned text for `verifier` (audit actor, e.g. `rp:…`).
    /// Every verification, refused or not, is audited.
    pub async fn verify(&self, text: &str, verifier: &str) -> Result<QrVerification, ServiceError> {
        self.verify_tagged(text, &AuditTag::plain(verifier)).await
    }

    /// [`QrService::verify`] with the audit entry shaped by `tag`: its
    /// actor, action and extra details, and for a relying party the
    /// holder's pairwise subject.
    pub async fn verify_tagged(&self, text: &str, tag: &AuditTag) -> Result<QrVerification, ServiceError> {
        let now = self.context.clock.now();
        let code = match WalletQr::parse(text) {
            Ok(code) => code,
            Err(error) => return Err(self.refuse(tag, None, error.into()).await),
        };
        let body = code.credential.body().clone();
        if let Err(refusal) = self.check(&code, now) {
            return Err(self.refuse(tag, Some(&body.number), refusal).await);
        }
        let entry = NonceUse {
            kind: "qr",
            nonce: code.nonce,
            expires_at_ms: code.issued_at_ms + QR_LIFETIME_MS + 1,
            credential: Some(body.serial),
        };
        let subject = tag.rp_id.as_deref().map(|rp| self.subject(rp, &body.number));
        let mut details = tag.details.clone();
        if let Some(subject) = &subject {
            details.insert("pairwise_subject".into(), json!(subject));
        }
        details.insert("serial".into(), json!(body.serial.to_hex()));
        details.insert("level".into(), json!(body.level.as_str()));
        let audit = AuditDraft::new(&tag.actor, tag.action, Some(short_number(&body.number)), now).with_details(details.into());
        let outcome = self.record_use(entry, audit).await?;
        if outcome != UseOutcome::Fresh {
            return Err(ServiceError::Refused(outcome_code(&outcome)));
        }
        Ok(QrVerification {
            serial: body.serial,
            number: body.number,
            level: body.level,
            credential_expires_at_ms: body.expires_at * 1000,
            subject,
        })
    }

    /// Verifies a code for a relying party (`/v1/qr/verify`), which must
    /// be allowed a wallet-code mode; audited with the RP as actor. Returns
    /// the verification and the holder's pairwise subject for that RP.
    pub async fn verify_for_party(&self, rp: &wz_store::RelyingPartyRow, text: &str) -> Result<(QrVerification, String), ServiceError> {
        let allowed = rp.modes.iter().any(|mode| mode == "credential" || mode == "qr_verify");
        if !allowed {
            return Err(ServiceError::Refused(ResultCode::ModeNotAllowed));
        }
        let tag = AuditTag::for_party(&rp.id, "qr.verified");
        let mut verified = self.verify_tagged(text, &tag).await?;
        let subject = verified.subject.take().unwrap_or_else(|| self.subject(&rp.id, &verified.number));
        Ok((verified, subject))
    }

    /// The holder's pairwise subject for relying party `rp`.
    fn subject(&self, rp: &str, number: &CredentialNumber) -> String {
        wz_core::pairwise_subject(&self.context.keyring.credential_number_key, rp, number)
    }

    fn details(&self, tag: &AuditTag, number: Option<&CredentialNumber>) -> serde_json::Map<String, serde_json::Value> {
        let mut details = tag.details.clone();
        if let (Some(rp), Some(number)) = (&tag.rp_id, number) {
            details.insert("pairwise_subject".into(), json!(self.subject(rp, number)));
        }
        details
    }

    /// Every check except single use, cheapest first.
    fn check(&self, code: &WalletQr, now: time::OffsetDateTime) -> Result<(), ResultCode> {
        let credential = &code.credential;
        let digest = credential.digest();
        let known = self.verified.lock().map(|set| set.contains(&digest)).unwrap_or(false);
        if !known {
            let platform = self.context.keyring.platform_sm2.verifying_key();
            credential
                .verify(|id| (id == platform.key_id().as_str()).then_some(&platform))
                .map_err(|e| ResultCode::from(QrError::Credential(e)))?;
            if let Ok(mut set) = self.verified.lock() {
                if set.len() >= CACHE_LIMIT {
                    set.clear();
                }
                set.insert(digest);
            }
        }
        let body = credential.body();
        body.check_time(now, 60).map_err(|e| ResultCode::from(QrError::Credential(e)))?;
        // The MAC under the credential's QR key (over every field, signer
        // and signature included) accepts a code of the credential's own
        // device without an asymmetric operation; anything else goes to
        // the device signature, as an offline verifier would.
        if !(code.signer_is_device() && code.mac_matches(&qr_key(&self.context.keyring.qr_mac_key, &body.serial))) {
            let device_key = body.device_verifying_key().map_err(|e| ResultCode::from(QrError::Credential(e)))?;
            code.verify_device(&device_key)?;
        }
        code.check_fresh(unix_ms(now))?;
        Ok(())
    }

    /// Hands the use to the journal: in one transaction with others, the
    /// credential's status is checked and the nonce spent.
    async fn record_use(&self, nonce: NonceUse, audit: AuditDraft) -> Result<UseOutcome, ServiceError> {
        self.journal.submit((nonce, audit)).await.ok_or(ServiceError::Journal)?
    }

    /// Audits a refusal and returns the error to report.
    async fn refuse(&self, tag: &AuditTag, number: Option<&CredentialNumber>, code: ResultCode) -> ServiceError {
        let mut details = self.details(tag, number);
        details.insert("result".into(), json!(code.as_str()));
        let subject = number.map(short_number);
        let audit = AuditDraft::new(&tag.actor, tag.action, subject, self.context.clock.now()).with_details(details.into());
        match self.context.store.append_audit(audit).await {
            Ok(_) => ServiceError::Refused(code),
            Err(error) => error.into(),
        }
    }
}

/// How a verification is audited.
#[derive(Debug, Clone)]
pub struct AuditTag {
    /// Audit actor.
    pub actor: String,
    /// Audit action.
    pub action: &'static str,
    /// The relying party, whose pairwise subject of the holder is recorded.
    pub rp_id: Option<String>,
    /// Extra details (mode, purpose, …).
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl AuditTag {
    /// A bare `qr.verified` entry by `actor`.
    pub fn plain(actor: &str) -> Self {
        Self {
            actor: actor.to_owned(),
            action: "qr.verified",
            rp_id: None,
            details: serde_json::Map::new(),
        }
    }

    /// An entry by relying party `rp_id`, which the details name, with the
    /// holder's pairwise subject for it.
    pub fn for_party(rp_id: &str, action: &'static str) -> Self {
        let mut details = serde_json::Map::new();
        details.insert("rp".into(), json!(rp_id));
        Self {
            actor: rp_id.to_owned(),
            action,
            rp_id: Some(rp_id.to_owned()),
            details,
        }
    }
}

/// The journal: every waiting use (up to [`MAX_BATCH`]) committed together.
fn journal(store: Arc<dyn Store>) -> GroupCommit<JournalEntry, Result<UseOutcome, ServiceError>> {
    GroupCommit::new(MAX_BATCH, move |batch: Vec<JournalEntry>| {
        let store = Arc::clone(&store);
        Box::pin(async move {
            let (uses, drafts): (Vec<NonceUse>, Vec<AuditDraft>) = batch.into_iter().unzip();
            let audit = move |index: usize, outcome: &UseOutcome| {
                let mut draft = drafts[index].clone();
                draft.details["result"] = json!(outcome_code(outcome).as_str());
                draft
            };
            match store.record_uses(&uses, &audit).await {
                Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
                Err(error) => {
                    tracing::error!(error = &error as &dyn std::error::Error, "recording QR code uses failed");
                    uses.iter().map(|_| Err(ServiceError::Journal)).collect()
                }
            }
        }) as BatchFuture<_>
    })
}
