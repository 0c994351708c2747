//! The sign-in itself, all of it through the `openidconnect` crate:
//! discovery, an authorization request with PKCE S256, `nonce`, `state`
//! and `acr_values`, the code exchange with `client_secret_basic`, the ID
//! token's checks (ES256 signature against the provider's JWKS, `iss`,
//! `aud`, `exp`, `nonce`) and userinfo. What the crate leaves to the
//! website is done here: the achieved `acr` must be at least the level
//! asked for, and the authorization response's `iss` (RFC 9207) must be
//! the issuer's.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJwsSigningAlgorithm, CoreProviderMetadata};
use openidconnect::{
    AdditionalClaims, AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
    UserInfoClaims,
};
use serde::{Deserialize, Serialize};

/// How long a started sign-in may take before it is forgotten.
const PENDING_FOR: Duration = Duration::from_secs(600);
/// Visitors remembered at once; the oldest go first beyond it.
const MAX_VISITORS: usize = 10_000;

/// What the website is configured with: exactly what an integrator is
/// given when it registers.
#[derive(Debug, Clone)]
pub struct DemoRpConfig {
    /// The provider's issuer URL (its discovery document lies below it).
    pub issuer: String,
    /// The client id (the relying party's id).
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// This website's registered redirect URI (`…/callback`).
    pub redirect_uri: String,
}

/// Why a sign-in did not complete. Messages carry no personal data.
#[derive(Debug, thiserror::Error)]
pub enum DemoRpError {
    /// The provider could not be reached or answered badly.
    #[error("the identity provider: {0}")]
    Provider(String),
    /// The provider refused, or its answer failed a check.
    #[error("sign-in refused: {0}")]
    Refused(String),
    /// A callback without a sign-in started from this browser.
    #[error("no sign-in was started from this browser (or it took too long); start again")]
    NoPendingSignIn,
    /// A level other than L1..L4.
    #[error("the level must be L1, L2, L3 or L4")]
    BadLevel,
}

/// Claims the userinfo endpoint returns beyond the standard ones (the
/// `wz_…` desensitised fields), kept as they come.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    /// Every claim of the response, by name.
    #[serde(flatten)]
    pub all: BTreeMap<String, serde_json::Value>,
}

impl AdditionalClaims for ExtraClaims {}

/// A signed-in visitor as the website knows them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The pairwise subject: this website's stable id for the citizen.
    pub subject: String,
    /// The level reached.
    pub acr: String,
    /// Authentication methods.
    pub amr: Vec<String>,
    /// When the citizen authenticated (Unix seconds).
    pub auth_time: Option<i64>,
    /// The claims userinfo released, by name.
    pub claims: BTreeMap<String, serde_json::Value>,
}

struct Pending {
    csrf: CsrfToken,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
    level: String,
    started: Instant,
}

enum Visitor {
    Pending(Box<Pending>),
    SignedIn(SignedIn, Instant),
}

impl Visitor {
    fn since(&self) -> Instant {
        match self {
            Visitor::Pending(p) => p.started,
            Visitor::SignedIn(_, at) => *at,
        }
    }
}

type Client = CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// The website's state: the provider's metadata, read once by discovery,
/// and its visitors in memory (a demo keeps nothing on disk).
#[derive(Clone)]
pub struct DemoRp {
    client: Arc<Client>,
    issuer: String,
    http: openidconnect::reqwest::Client,
    visitors: Arc<Mutex<HashMap<String, Visitor>>>,
}

impl DemoRp {
    /// Discovers the provider and builds the client.
    pub async fn discover(config: &DemoRpConfig) -> Result<Self, DemoRpError> {
        let provider = |e: &dyn std::fmt::Display| DemoRpError::Provider(e.to_string());
        // No redirects: the crate's advice against SSRF, and nothing here needs them.
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| provider(&e))?;
        let issuer = IssuerUrl::new(config.issuer.clone()).map_err(|e| provider(&e))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| provider(&e))?;
        let redirect = RedirectUrl::new(config.redirect_uri.clone()).map_err(|e| provider(&e))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(config.client_id.clone()),
            Some(ClientSecret::new(config.client_secret.clone())),
        )
        .set_redirect_uri(redirect);
        Ok(Self {
            client: Arc::new(client),
            issuer: config.issuer.clone(),
            http,
            visitors: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    fn visitors(&self) -> std::sync::MutexGuard<'_, HashMap<String, Visitor>> {
        self.visitors.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn remember(&self, key: String, visitor: Visitor) {
        let mut visitors = self.visitors();
        visitors.retain(|_, v| !matches!(v, Visitor::Pending(p) if p.started.elapsed() > PENDING_FOR));
        if visitors.len() >= MAX_VISITORS {
            if let Some(oldest) = visitors.iter().min_by_key(|(_, v)| v.since()).map(|(k, _)| k.clone()) {
                visitors.remove(&oldest);
            }
        }
        visitors.insert(key, visitor);
    }

    /// Starts a sign-in at `level`: the browser's key and the provider URL
    /// to send it to.
    pub async fn begin(&self, level: &str) -> Result<(String, String), DemoRpError> {
        self.begin_with_scopes(level, &["profile"]).await
    }

    /// Starts a sign-in at `level` asking for `scopes` beside `openid`
    /// (the service hall asks for `id_number` too, which its grant allows).
    pub async fn begin_with_scopes(&self, level: &str, scopes: &[&str]) -> Result<(String, String), DemoRpError> {
        if !matches!(level, "L1" | "L2" | "L3" | "L4") {
            return Err(DemoRpError::BadLevel);
        }
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, csrf, nonce) = self
            .client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scopes(scopes.iter().map(|s| Scope::new((*s).to_owned())))
            .add_auth_context_value(AuthenticationContextClass::new(level.into()))
            .set_pkce_challenge(challenge)
            .url();
        let key = CsrfToken::new_random().secret().clone();
        let pending = Pending {
            csrf,
            nonce,
            verifier,
            level: level.into(),
            started: Instant::now(),
        };
        self.remember(key.clone(), Visitor::Pending(Box::new(pending)));
        Ok((key, url.to_string()))
    }

    /// The signed-in visitor behind a browser's key.
    pub fn signed_in(&self, key: &str) -> Option<SignedIn> {
        match self.visitors().get(key) {
            Some(Visitor::SignedIn(who, _)) => Some(who.clone()),
            _ => None,
        }
    }

    /// Forgets a browser (sign-out, or a failed sign-in).
    pub fn forget(&self, key: &str) {
        self.visitors().remove(key);
    }

    /// Completes a sign-in from the redirect back: checks `state` and
    /// `iss`, redeems the code, checks the ID token and the level, reads
    /// userinfo.
    pub async fn finish(&self, key: &str, code: &str, state: &str, iss: Option<&str>) -> Result<(), DemoRpError> {
        let pending = match self.visitors().remove(key) {
            Some(Visitor::Pending(p)) if p.started.elapsed() <= PENDING_FOR => p,
            _ => return Err(DemoRpError::NoPendingSignIn),
        };
        let refused = |why: String| DemoRpError::Refused(why);
        if pending.csrf.secret() != state {
            return Err(refused("the state does not match this browser's sign-in".into()));
        }
        if iss != Some(self.issuer.as_str()) {
            return Err(refused("the authorization response names another issuer".into()));
        }
        let tokens = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| DemoRpError::Provider(e.to_string()))?
            .set_pkce_verifier(pending.verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| refused(format!("the code exchange failed: {e}")))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| refused("the token response carries no ID token".into()))?;
        let verifier = self
            .client
            .id_token_verifier()
            .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
        let claims = id_token
            .claims(&verifier, &pending.nonce)
            .map_err(|e| refused(format!("the ID token failed its checks: {e}")))?;
        let acr = claims.auth_context_ref().map(|a| a.as_str().to_owned()).unwrap_or_default();
        // L1 < L2 < L3 < L4 compare as text.
        if acr.len() != 2 || acr.as_str() < pending.level.as_str() {
            return Err(refused(format!("the level reached ({acr}) is below the one asked for")));
        }
        let userinfo: UserInfoClaims<ExtraClaims, CoreGenderClaim> = self
            .client
            .user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
            .map_err(|e| DemoRpError::Provider(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| refused(format!("userinfo failed: {e}")))?;
        // Standard claims (`name`, `birthdate`, …) and the provider's own
        // (`wz_…`) alike, as the response carried them.
        let mut released: BTreeMap<String, serde_json::Value> = match serde_json::to_value(&userinfo) {
            Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
            _ => userinfo.additional_claims().all.clone(),
        };
        released.retain(|name, _| name != "sub");
        let who = SignedIn {
            subject: claims.subject().as_str().to_owned(),
            acr,
            amr: claims
                .auth_method_refs()
                .map(|list| list.iter().map(|m| m.as_str().to_owned()).collect())
                .unwrap_or_default(),
            auth_time: claims.auth_time().map(|t| t.timestamp()),
            claims: released,
        };
        self.remember(key.to_owned(), Visitor::SignedIn(who, Instant::now()));
        Ok(())
    }
}
