//! Use cases of WangZheng: the registry, simulated cards and the audit
//! chain, over the store traits. Decides what is audited (every action, in
//! the same transaction) and what is logged (no personal data, ever).
//!
//! Must not depend on HTTP, a store implementation or the binary. Time and
//! randomness come from the [`Clock`] and [`Entropy`] it is given.

#![warn(missing_docs)]

mod audit;
mod authentication;
mod cards;
mod clock;
mod credentials;
mod entropy;
mod error;
mod faces;
mod group_commit;
mod keyring;
mod liveness;
mod qr_verification;
mod rate_limit;
mod registry;
mod relying_parties;
mod result_signer;
mod session_feed;
mod sessions;
mod signed_request;
mod speech;
mod ttl_cache;
mod watchers;

pub use audit::{AuditReport, AuditService};
pub use authentication::{AuthRequest, AuthenticationService, MAX_PURPOSE_CHARS};
pub use cards::{CardReadOutcome, CardService};
pub use clock::{Clock, SystemClock};
pub use credentials::{
    CredentialPolicy, CredentialService, CredentialView, EnrolmentBinding, LightApplication, LiveSequence, OpenedEnrolment,
    PasswordCheckResult, SpeechLanguage, SpokenAudio, TerminalCompletion, UsageEntry,
};
pub use entropy::{Entropy, EntropyRng, OsEntropy};
pub use error::ServiceError;
pub use faces::{FaceService, ObservedFrame};
pub use group_commit::{BatchFuture, GroupCommit};
pub use keyring::Keyring;
pub use liveness::{GeometryLiveness, IssuedChallenge, LivenessCheck, PresenceLiveness};
pub use qr_verification::{AuditTag, QrService, QrVerification};
pub use rate_limit::RateQuota;
pub use registry::{RegistryService, SealedBatch, SeedPerson};
pub use relying_parties::{public_details, row_alg, RegisteredParty, RelyingPartyService, RelyingPartySpec};
pub use session_feed::{Change, ChangeSource, Heard, SessionFeed};
pub use sessions::{
    ScannedSession, SessionService, SessionSpec, INVITATION_PREFIX, MAX_INVITATION_SECONDS, MAX_PARTICIPANTS, MAX_WINDOW_SECONDS,
};
pub use signed_request::SignedRequest;
pub use speech::{HeardAudio, SpeechService};
pub use watchers::{KeyedLimit, KeyedSlot, WatchPermit, MAX_WATCHES_PER_RP};
/// A relying party's registration, as the services hand it out.
pub use wz_store::RelyingPartyRow;
/// A session as stored.
pub use wz_store::SessionRow;

use std::sync::Arc;

use wz_store::Store;

/// Everything the services share: store, keys, clock, randomness, mode.
#[derive(Clone)]
pub struct ServiceContext {
    /// The store chosen at startup.
    pub store: Arc<dyn Store>,
    /// Platform keys.
    pub keyring: Arc<Keyring>,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Randomness source.
    pub entropy: Arc<dyn Entropy>,
    /// Demo mode enables self-enrolment with one's own photo.
    pub demo: bool,
    /// The face engine.
    pub face: FaceService,
    /// Decides liveness from observed frames.
    pub liveness: Arc<dyn LivenessCheck>,
    /// Hears the digits read aloud with the frames.
    pub speech: SpeechService,
    /// Credential rules.
    pub policy: CredentialPolicy,
    /// Where webhooks may be posted.
    pub webhooks: std::sync::Arc<wz_core::WebhookPolicy>,
}

impl ServiceContext {
    /// The store and clock a cluster-wide limit counts with, when the
    /// policy asks for them.
    fn shared_limits(&self) -> Option<(Arc<dyn Store>, Arc<dyn Clock>)> {
        self.policy
            .cluster_wide_limits
            .then(|| (Arc::clone(&self.store), Arc::clone(&self.clock)))
    }

    /// The registry row of an ID number, which must exist.
    pub(crate) async fn get_identity(
        &self,
        id_number: &wz_core::NationalIdNumber,
    ) -> Result<(wz_core::LookupKey, wz_store::IdentityRow), ServiceError> {
        let lookup = self.keyring.sealer.lookup(id_number);
        let row = self.store.find_identity(&lookup).await?.ok_or(ServiceError::IdentityNotFound)?;
        Ok((lookup, row))
    }

    /// Opens a registry row's attributes, and with `portrait` its portrait
    /// too, read and decrypted only then (sealed apart since issue #14; a
    /// row still sealed whole carries it inside the attributes part).
    pub(crate) async fn open_record(
        &self,
        lookup: &wz_core::LookupKey,
        row: &wz_store::IdentityRow,
        portrait: bool,
    ) -> Result<wz_core::IdentityRecord, ServiceError> {
        let mut record = self.keyring.sealer.open(lookup, &row.sealed)?;
        if portrait && record.portrait.is_none() {
            if let Some(sealed) = self.store.find_portrait(lookup).await? {
                record.portrait = Some(self.keyring.sealer.open_portrait(lookup, &sealed)?);
            }
        }
        Ok(record)
    }
}

/// All services, built once at startup.
#[derive(Clone)]
pub struct Services {
    /// The registry (制证数据库).
    pub registry: RegistryService,
    /// Card issuing and reading.
    pub cards: CardService,
    /// Audit chain verification.
    pub audit: AuditService,
    /// Network ID credentials.
    pub credentials: CredentialService,
    /// Wallet QR code verification.
    pub qr: QrService,
    /// The relying-party registry.
    pub relying_parties: RelyingPartyService,
    /// Server-to-server authentication for relying parties.
    pub authentication: AuthenticationService,
    /// Authentication sessions and multi-party transactions.
    pub sessions: SessionService,
    /// Shared context.
    pub context: ServiceContext,
}

impl Services {
    /// Builds every service over one context.
    pub fn new(context: ServiceContext) -> Self {
        let credentials = CredentialService::new(context.clone());
        let qr = QrService::new(context.clone());
        let relying_parties = RelyingPartyService::new(context.clone());
        let authentication = AuthenticationService::new(context.clone(), credentials.clone(), qr.clone());
        Self {
            registry: RegistryService::new(context.clone()),
            cards: CardService::new(context.clone()),
            audit: AuditService::new(context.clone()),
            sessions: SessionService::new(context.clone(), relying_parties.clone(), authentication.clone()),
            authentication,
            relying_parties,
            credentials,
            qr,
            context,
        }
    }
}
