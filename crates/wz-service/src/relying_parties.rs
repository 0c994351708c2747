//! The relying-party registry: registration by an operator, secret
//! rotation, grants and keys, the public list, and client authentication.
//!
//! A client secret is 32 random bytes shown once; the store keeps its SM3
//! digest, compared in constant time. What an RP may receive is bounded by
//! its category: an internet service is never granted full identity
//! attributes, only the pairwise subject and desensitised fields.

use serde_json::json;
use wz_core::{unix_ms, Attribute, AuditDraft, AuthMode, ResultAlg, RpCategory, WebhookUrlError};
use wz_crypto::{sm3, Es256VerifyingKey, Sm2VerifyingKey};
use wz_store::{RelyingPartyRow, StoreError};

use crate::ttl_cache::TtlCache;
use crate::{ServiceContext, ServiceError};

/// What an operator registers or changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingPartySpec {
    /// Display name shown to citizens.
    pub name: String,
    /// Category.
    pub category: RpCategory,
    /// Modes it may use.
    pub modes: Vec<AuthMode>,
    /// Attributes it may receive in full.
    pub grants: Vec<Attribute>,
    /// Session results are posted here (https to a public host, see
    /// [`wz_core::WebhookPolicy`]).
    pub webhook_url: Option<String>,
    /// Its public key for signed requests (SEC1 hex) and the algorithm of
    /// that key and of the results it receives.
    pub public_key: Option<String>,
    /// `SM2` (default) or `ES256`.
    pub alg: ResultAlg,
    /// OpenID Connect settings, to sign citizens in through the provider.
    pub oidc: Option<wz_core::OidcClient>,
}

/// A registration with its client secret, shown once.
#[derive(Debug, Clone)]
pub struct RegisteredParty {
    /// The stored row.
    pub row: RelyingPartyRow,
    /// The client secret (hex), never stored.
    pub secret: String,
}

/// The row fields a valid spec yields.
struct Validated {
    webhook_url: Option<String>,
    public_key: Option<Vec<u8>>,
    modes: Vec<String>,
    grants: Vec<String>,
    oidc: Option<wz_core::OidcClient>,
}

/// The relying-party registry.
#[derive(Clone)]
pub struct RelyingPartyService {
    context: ServiceContext,
    /// Registrations read for authentication, kept one second: a change
    /// made through this instance applies at once, one made through
    /// another instance within a second.
    recent: std::sync::Arc<TtlCache<String, RelyingPartyRow>>,
}

/// How long a registration read for authentication is reused: half a
/// second, so a suspension or a rotated secret on another instance holds
/// here well within the promised second (one read per RP per half second).
const RECENT_MS: i64 = 500;

fn alg_name(alg: ResultAlg) -> &'static str {
    match alg {
        ResultAlg::Sm2 => "SM2",
        ResultAlg::Es256 => "ES256",
    }
}

/// The algorithm stored for a row.
pub fn row_alg(row: &RelyingPartyRow) -> ResultAlg {
    if row.alg == "ES256" {
        ResultAlg::Es256
    } else {
        ResultAlg::Sm2
    }
}

impl RelyingPartyService {
    pub(crate) fn new(context: ServiceContext) -> Self {
        Self {
            context,
            recent: std::sync::Arc::new(TtlCache::new(10_000, RECENT_MS)),
        }
    }

    fn random_hex<const N: usize>(&self) -> String {
        let mut bytes = [0u8; N];
        self.context.entropy.fill(&mut bytes);
        hex::encode(bytes)
    }

    /// Checks a spec against the rules and returns the row fields.
    async fn validate(&self, spec: &RelyingPartySpec) -> Result<Validated, ServiceError> {
        wz_core::check_display_text(&spec.name, 100).map_err(|_| {
            ServiceError::InvalidInput("the name must have 1 to 100 characters, without control, line-break or bidirectional characters")
        })?;
        if spec.modes.is_empty() {
            return Err(ServiceError::InvalidInput("at least one mode is needed"));
        }
        if spec.category == RpCategory::Internet && !spec.grants.is_empty() {
            return Err(ServiceError::InvalidInput(
                "an internet service receives only the pairwise subject and desensitised fields; it cannot be granted attributes",
            ));
        }
        let webhook_url = match &spec.webhook_url {
            None => None,
            Some(url) => Some(self.check_webhook(url).await?),
        };
        let key = match &spec.public_key {
            None => None,
            Some(text) => {
                let bytes = hex::decode(text.trim()).map_err(|_| ServiceError::InvalidInput("the public key must be SEC1 hex"))?;
                let valid = match spec.alg {
                    ResultAlg::Sm2 => Sm2VerifyingKey::from_sec1_bytes(&bytes, "rp").is_ok(),
                    ResultAlg::Es256 => Es256VerifyingKey::from_sec1_bytes(&bytes).is_ok(),
                };
                if !valid {
                    return Err(ServiceError::InvalidInput("the public key is not a point on the algorithm's curve"));
                }
                Some(bytes)
            }
        };
        let mut modes: Vec<String> = spec.modes.iter().map(|m| m.as_str().to_owned()).collect();
        modes.sort();
        modes.dedup();
        let mut grants: Vec<String> = spec.grants.iter().map(|a| a.as_str().to_owned()).collect();
        grants.sort();
        grants.dedup();
        let oidc = match &spec.oidc {
            None => None,
            Some(settings) => Some(
                settings
                    .clone()
                    .validated()
                    .map_err(|error| ServiceError::InvalidInput(error.reason()))?,
            ),
        };
        Ok(Validated {
            webhook_url,
            public_key: key,
            modes,
            grants,
            oidc,
        })
    }

    /// A webhook URL by the operator's [`WebhookPolicy`], normalised. A
    /// name is resolved once here so that one pointing at a private
    /// address is refused at registration; a name that does not resolve
    /// yet is accepted, since every delivery resolves and checks again.
    async fn check_webhook(&self, url: &str) -> Result<String, ServiceError> {
        let policy = &self.context.webhooks;
        let target = policy.check(url).map_err(|error| ServiceError::InvalidInput(error.reason()))?;
        if let Some(name) = target.domain() {
            let lookup = tokio::net::lookup_host((name, target.port()));
            if let Ok(Ok(addresses)) = tokio::time::timeout(std::time::Duration::from_secs(3), lookup).await {
                for address in addresses {
                    if !policy.address_allowed(Some(name), address) {
                        return Err(ServiceError::InvalidInput(WebhookUrlError::NotPublic.reason()));
                    }
                }
            }
        }
        Ok(target.as_str().to_owned())
    }

    /// Registers a relying party; the secret is in the answer only.
    pub async fn register(&self, spec: &RelyingPartySpec, actor: &str) -> Result<RegisteredParty, ServiceError> {
        let Validated {
            webhook_url,
            public_key,
            modes,
            grants,
            oidc,
        } = self.validate(spec).await?;
        let now = self.context.clock.now();
        let secret = self.random_hex::<32>();
        let row = RelyingPartyRow {
            id: format!("rp-{}", self.random_hex::<8>()),
            name: spec.name.trim().to_owned(),
            category: spec.category.as_str().to_owned(),
            modes,
            grants,
            webhook_url,
            secret_digest: sm3(secret.as_bytes()),
            public_key,
            alg: alg_name(spec.alg).to_owned(),
            active: true,
            created_at_ms: unix_ms(now),
            updated_at_ms: unix_ms(now),
            oidc,
        };
        let audit = AuditDraft::new(actor, "rp.registered", Some(row.id.clone()), now).with_details(public_details(&row));
        self.context.store.insert_relying_party(&row, audit).await?;
        Ok(RegisteredParty { row, secret })
    }

    /// Changes a registration (name, category, modes, grants, webhook, key).
    pub async fn update(&self, id: &str, spec: &RelyingPartySpec, actor: &str) -> Result<RelyingPartyRow, ServiceError> {
        let Validated {
            webhook_url,
            public_key,
            modes,
            grants,
            oidc,
        } = self.validate(spec).await?;
        self.change(id, actor, "rp.updated", |row| {
            row.name = spec.name.trim().to_owned();
            row.category = spec.category.as_str().to_owned();
            row.modes = modes.clone();
            row.grants = grants.clone();
            row.webhook_url = webhook_url.clone();
            row.public_key = public_key.clone();
            row.alg = alg_name(spec.alg).to_owned();
            row.oidc = oidc.clone();
        })
        .await
    }

    /// Replaces the client secret; the old one stops working at once.
    pub async fn rotate_secret(&self, id: &str, actor: &str) -> Result<RegisteredParty, ServiceError> {
        let secret = self.random_hex::<32>();
        let digest = sm3(secret.as_bytes());
        let row = self
            .change(id, actor, "rp.secret_rotated", |row| row.secret_digest = digest)
            .await?;
        Ok(RegisteredParty { row, secret })
    }

    /// Suspends or reinstates a relying party.
    pub async fn set_active(&self, id: &str, active: bool, actor: &str) -> Result<RelyingPartyRow, ServiceError> {
        let action = if active { "rp.reinstated" } else { "rp.suspended" };
        self.change(id, actor, action, |row| row.active = active).await
    }

    async fn change(
        &self,
        id: &str,
        actor: &str,
        action: &str,
        edit: impl Fn(&mut RelyingPartyRow),
    ) -> Result<RelyingPartyRow, ServiceError> {
        for _ in 0..3 {
            let mut row = self.find(id).await?;
            let expected = row.updated_at_ms;
            edit(&mut row);
            row.updated_at_ms = unix_ms(self.context.clock.now()).max(expected + 1);
            let audit = AuditDraft::new(actor, action, Some(row.id.clone()), self.context.clock.now()).with_details(public_details(&row));
            let result = self.context.store.update_relying_party(&row, expected, audit).await;
            self.recent.remove(row.id.as_str());
            match result {
                Ok(_) => return Ok(row),
                Err(StoreError::Conflict) => continue,
                Err(StoreError::NotFound) => return Err(ServiceError::Refused(wz_core::ResultCode::NotFound)),
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Store(StoreError::Conflict))
    }

    /// One registration.
    pub async fn find(&self, id: &str) -> Result<RelyingPartyRow, ServiceError> {
        self.context
            .store
            .find_relying_party(id)
            .await?
            .ok_or(ServiceError::Refused(wz_core::ResultCode::NotFound))
    }

    /// Every registration (public).
    pub async fn list(&self) -> Result<Vec<RelyingPartyRow>, ServiceError> {
        Ok(self.context.store.list_relying_parties().await?)
    }

    /// Authenticates a client by id and secret and, when the RP registered
    /// a request key, by the request's signature (time window and
    /// single-use nonce): a stolen secret alone is then not enough.
    pub async fn authenticate_request(
        &self,
        id: &str,
        secret: &str,
        request: Option<crate::SignedRequest<'_>>,
    ) -> Result<RelyingPartyRow, ServiceError> {
        let row = self.authenticate(id, secret).await?;
        let Some(key) = &row.public_key else {
            return Ok(row);
        };
        let invalid = || ServiceError::Refused(wz_core::ResultCode::RequestSignatureInvalid);
        let request = request.ok_or_else(invalid)?;
        if request.proof.signer != wz_core::Signer::RelyingParty(row.id.clone()) {
            return Err(invalid());
        }
        let now_ms = unix_ms(self.context.clock.now());
        match row_alg(&row) {
            ResultAlg::Sm2 => {
                let key = Sm2VerifyingKey::from_sec1_bytes(key, "rp").map_err(|_| ServiceError::RecordCorrupt)?;
                request.proof.verify(&key, request.target, now_ms)?;
            }
            ResultAlg::Es256 => {
                let key = Es256VerifyingKey::from_sec1_bytes(key).map_err(|_| ServiceError::RecordCorrupt)?;
                request.proof.verify_es256(&key, request.target, now_ms)?;
            }
        }
        self.context.spend_request_nonce(&request).await?;
        Ok(row)
    }

    /// Authenticates a client by id and secret. Unknown ids, wrong secrets
    /// and suspended parties all answer `unauthorized`, after the same
    /// digest and comparison.
    pub async fn authenticate(&self, id: &str, secret: &str) -> Result<RelyingPartyRow, ServiceError> {
        let now_ms = unix_ms(self.context.clock.now());
        let row = match self.recent.get(id, now_ms) {
            Some(row) => Some(row),
            None => {
                let row = self.context.store.find_relying_party(id).await?;
                if let Some(row) = &row {
                    self.recent.put(id.to_owned(), row.clone(), now_ms);
                }
                row
            }
        };
        let digest = sm3(secret.as_bytes());
        let expected = row.as_ref().map_or([0u8; 32], |r| r.secret_digest);
        let matches = wz_crypto::constant_time_eq(&digest, &expected);
        match row {
            Some(row) if matches && row.active => Ok(row),
            _ => Err(ServiceError::Refused(wz_core::ResultCode::Unauthorized)),
        }
    }
}

/// The public part of a registration, as audited and listed.
pub fn public_details(row: &RelyingPartyRow) -> serde_json::Value {
    json!({
        "name": row.name,
        "category": row.category,
        "modes": row.modes,
        "grants": row.grants,
        "webhook": row.webhook_url.is_some(),
        "public_key": row.public_key.as_ref().map(hex::encode),
        "alg": row.alg,
        "active": row.active,
        "oidc": row.oidc.as_ref().map(|o| json!({
            "redirect_uris": o.redirect_uris,
            "client_auth": if o.jwks.is_some() { "private_key_jwt" } else { "client_secret_basic" },
            "id_token_alg": o.id_token_alg.as_str(),
            "access_token_seconds": o.access_token_seconds,
        })),
    })
}
