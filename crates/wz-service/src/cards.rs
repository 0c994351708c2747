//! Simulated ID cards: issuing card files and reading presented cards.

use serde_json::json;
use time::Duration;
use wz_core::{
    AuditDraft, CardChallenge, CardFile, CardPresentation, IdentityStatus, LookupKey, NationalIdNumber, ResultCode, VerifiedCard,
};
use wz_crypto::Sm2SigningKey;
use wz_store::IdentityRow;

use crate::{EntropyRng, ServiceContext, ServiceError};

/// How long a card challenge stays valid.
const CHALLENGE_LIFETIME: Duration = Duration::seconds(60);

/// A successful card read: desensitised facts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardReadOutcome {
    /// Card serial.
    pub card_serial: String,
    /// Desensitised name.
    pub masked_name: String,
    /// Desensitised ID number.
    pub masked_id_number: String,
    /// Printed validity.
    pub validity: String,
    /// Registry status (always valid on success).
    pub status: IdentityStatus,
}

/// Card use cases.
#[derive(Clone)]
pub struct CardService {
    context: ServiceContext,
}

impl CardService {
    pub(crate) fn new(context: ServiceContext) -> Self {
        Self { context }
    }

    /// Issues a card file for a registered person: chip data from the
    /// registry, signed by the card authority, with a fresh chip key.
    pub async fn issue(&self, id_number: &NationalIdNumber, actor: &str) -> Result<CardFile, ServiceError> {
        let (lookup, row) = self.context.get_identity(id_number).await?;
        // The chip holds the portrait's SM3.
        let record = self.context.open_record(&lookup, &row, true).await?;
        let chip_key = Sm2SigningKey::generate(&mut EntropyRng(self.context.entropy.as_ref()), "chip").map_err(wz_core::CoreError::from)?;
        let card = CardFile::issue(&record, &self.context.keyring.card_authority, &chip_key)?;
        let draft = AuditDraft::new(actor, "card.issued", Some(lookup.short()), self.context.clock.now())
            .with_details(json!({ "card_serial": record.card_serial.as_str() }));
        self.context.store.append_audit(draft).await?;
        Ok(card)
    }

    /// A fresh challenge for a card chip (stateless: MAC-authenticated).
    pub fn challenge(&self) -> CardChallenge {
        let mut nonce = [0u8; 16];
        self.context.entropy.fill(&mut nonce);
        let expires = self.context.clock.now() + CHALLENGE_LIFETIME;
        CardChallenge::issue(&self.context.keyring.challenge_key, nonce, expires.unix_timestamp())
    }

    /// Verifies a presented card (authority signature, challenge, chip) and
    /// its registry status. Every read, refused or not, is audited.
    pub async fn read(&self, presentation: &CardPresentation, actor: &str) -> Result<CardReadOutcome, ServiceError> {
        let now = self.context.clock.now();
        let result = self.check(presentation, now).await;
        let (code, subject) = match &result {
            Ok((_, subject)) => (ResultCode::Success, Some(subject.clone())),
            Err((error, subject)) => (error.result_code(), subject.clone()),
        };
        let draft = AuditDraft::new(actor, "card.read", subject, now).with_details(json!({
            "result": code.as_str(),
            "card_serial": presentation.chip.card_serial.as_str(),
        }));
        self.context.store.append_audit(draft).await?;
        result.map(|(outcome, _)| outcome).map_err(|(error, _)| error)
    }

    async fn check(
        &self,
        presentation: &CardPresentation,
        now: time::OffsetDateTime,
    ) -> Result<(CardReadOutcome, String), (ServiceError, Option<String>)> {
        let (card, lookup, row) = self.verify_presented(presentation, now).await?;
        // Single use, as for the terminal and RP paths: a replayed
        // presentation is refused within the challenge's lifetime too.
        self.spend_challenge(presentation)
            .await
            .map_err(|error| (error, Some(lookup.short())))?;
        let outcome = CardReadOutcome {
            card_serial: card.chip.card_serial.as_str().to_owned(),
            masked_name: wz_core::mask_name(&card.chip.name),
            masked_id_number: card.id_number.masked(),
            validity: card.chip.validity.printed(),
            status: row.status,
        };
        Ok((outcome, lookup.short()))
    }

    /// Spends the challenge a presentation answered: the same answer is
    /// refused (`card_challenge_invalid`) from then on.
    pub(crate) async fn spend_challenge(&self, presentation: &CardPresentation) -> Result<(), ServiceError> {
        let challenge_nonce = hex::decode(&presentation.challenge.nonce)
            .ok()
            .and_then(|n| <[u8; 16]>::try_from(n).ok());
        let nonce = wz_store::NonceUse {
            kind: "card",
            nonce: challenge_nonce.ok_or(ServiceError::Refused(ResultCode::CardChallengeInvalid))?,
            expires_at_ms: presentation.challenge.expires_at * 1000,
            credential: None,
        };
        if !self.context.store.consume_nonce(&nonce).await? {
            return Err(ServiceError::Refused(ResultCode::CardChallengeInvalid));
        }
        Ok(())
    }

    /// Verifies a presented card (authority signature, challenge, chip) and
    /// its registry row (current serial, status, validity). On failure the
    /// pseudonymous subject is returned when the card named one.
    pub(crate) async fn verify_presented(
        &self,
        presentation: &CardPresentation,
        now: time::OffsetDateTime,
    ) -> Result<(VerifiedCard, LookupKey, IdentityRow), (ServiceError, Option<String>)> {
        let keyring = &self.context.keyring;
        let card = presentation
            .verify(&keyring.trusted_authorities, &keyring.challenge_key, now.unix_timestamp())
            .map_err(|e| (ServiceError::from(e), None))?;
        let lookup = keyring.sealer.lookup(&card.id_number);
        let subject = lookup.short();
        let refuse = |code: ResultCode| (ServiceError::CardRefused(code), Some(subject.clone()));
        let row = match self.context.store.find_identity(&lookup).await {
            Ok(Some(row)) => row,
            Ok(None) => return Err(refuse(ResultCode::CardNotInRegistry)),
            Err(error) => return Err((error.into(), Some(subject.clone()))),
        };
        if row.card_serial != card.chip.card_serial {
            return Err(refuse(ResultCode::CardSuperseded));
        }
        if let Some(code) = row.status.refusal() {
            return Err(refuse(code));
        }
        if !card.chip.validity.is_valid_on(now.date()) {
            return Err(refuse(ResultCode::CardExpired));
        }
        Ok((card, lookup, row))
    }
}
