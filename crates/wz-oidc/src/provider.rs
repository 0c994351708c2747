//! The provider's use cases. A sign-in is an ordinary service-window
//! session opened for the client (SPEC §5): the same rotating QR code, the
//! same consent, face and password steps for the mode the level needs, the
//! same signed result, audited and in the citizen's history like any
//! other. The provider only wraps it: it opens the session when the browser
//! arrives, turns its completion into a single-use code, and the code into
//! an ID token and an access token whose claims are read from that result.

use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Value};
use wz_core::{unix_ms, AssuranceLevel, Attribute, AuditDraft, AuthMode, AuthStatement, IdTokenAlg, OidcClient, SessionState};
use wz_service::{BatchFuture, GroupCommit, Services, SessionSpec};
use wz_store::{
    OidcAuthorizationRow, OidcAuthorizationState as State, OidcLookup, OidcRedemption, OidcStep, OidcTokenRow, RelyingPartyRow, Store,
    StoreError,
};

use crate::claims::{masked_claims, released_claims};
use crate::error::{OAuthCode, OAuthError};
use crate::jose::Signer;
use crate::request::{pkce_matches, registered_redirect, validate, AuthorizationRequest, Parameters};

/// How long a pushed request may wait for the browser (RFC 9126 §2.2).
pub const REQUEST_URI_SECONDS: i64 = 60;
/// How long a code may wait for redemption (RFC 9700 §4.2.1 suggests short).
pub const CODE_SECONDS: i64 = 60;
/// Lifetime of the sign-in session (and so of the QR page).
pub const SIGN_IN_SECONDS: u32 = 120;
/// Prefix of the request URIs the provider hands out.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// The purpose a sign-in shows the citizen and keeps in their history.
const SIGN_IN_PURPOSE: &str = "登录 Sign in";

/// The provider: the platform's services plus its public name.
#[derive(Clone)]
pub struct Provider {
    pub(crate) services: Services,
    /// The issuer identifier: the public URL clients reach us at.
    pub(crate) issuer: String,
    /// Code redemptions, committed in groups.
    redemptions: GroupCommit<OidcRedemption, Result<bool, StoreError>>,
}

/// Most redemptions one transaction carries.
const MAX_REDEMPTIONS: usize = 128;

/// The redemption journal: every waiting redemption committed together.
fn redemptions(store: Arc<dyn Store>) -> GroupCommit<OidcRedemption, Result<bool, StoreError>> {
    GroupCommit::new(MAX_REDEMPTIONS, move |batch: Vec<OidcRedemption>| {
        let store = Arc::clone(&store);
        Box::pin(async move {
            match store.redeem_oidc_codes(&batch).await {
                Ok(done) => done.into_iter().map(Ok).collect(),
                Err(error) => {
                    tracing::error!(error = &error as &dyn std::error::Error, "redeeming codes failed");
                    batch
                        .iter()
                        .map(|_| Err(StoreError::Unavailable("redemption failed".into())))
                        .collect()
                }
            }
        }) as BatchFuture<_>
    })
}

/// A started sign-in: the page's handle and the browser cookie bound to it.
#[derive(Debug, Clone)]
pub struct Started {
    /// The authorization id (the page reads it from the URL fragment).
    pub handle: String,
    /// The cookie value; only its digest is stored.
    pub cookie: String,
}

/// What the authorization endpoint does with a browser.
#[derive(Debug)]
pub enum AuthorizeOutcome {
    /// Show the QR sign-in page.
    SignIn(Started),
    /// Send the browser back to the client with an error.
    Redirect(String),
}

/// What the sign-in page shows while it waits.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SignInStatus {
    /// The session's state: `created`, `scanned`, `consented`, `completed`,
    /// `declined`, `expired`, `cancelled`.
    pub state: String,
    /// The current QR frame while nobody has scanned it.
    pub frame: Option<String>,
    /// Who asks.
    pub client_name: String,
    /// The level asked for.
    pub level: String,
    /// Attributes asked for.
    pub attributes: Vec<String>,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
}

/// A successful token response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// The access token for userinfo.
    pub access_token: String,
    /// `Bearer`, or `DPoP` when bound to a DPoP key.
    pub token_type: String,
    /// Seconds.
    pub expires_in: u32,
    /// The ID token.
    pub id_token: String,
    /// The granted scope.
    pub scope: String,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

fn corrupt() -> OAuthError {
    OAuthError::new(OAuthCode::ServerError, "a stored sign-in could not be read")
}

/// The error redirect for a request (RFC 6749 §4.1.2.1, RFC 9207 `iss`).
fn error_redirect(redirect_uri: &str, error: &OAuthError, state: Option<&str>, issuer: &str) -> String {
    authorization_response(
        redirect_uri,
        &[("error", error.code.as_str()), ("error_description", error.description)],
        state,
        issuer,
    )
}

/// The redirect URI with the response's parameters, then `state` and `iss`
/// (RFC 9207), added to any query it already has.
fn authorization_response(redirect_uri: &str, pairs: &[(&str, &str)], state: Option<&str>, issuer: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    if let Some(state) = state {
        query.append_pair("state", state);
    }
    query.append_pair("iss", issuer);
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    format!("{redirect_uri}{separator}{}", query.finish())
}

impl Provider {
    /// A provider over the platform's services, known to clients as `issuer`.
    pub fn new(services: Services, issuer: &str) -> Self {
        Self {
            redemptions: redemptions(Arc::clone(&services.context.store)),
            services,
            issuer: issuer.trim_end_matches('/').to_owned(),
        }
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub(crate) fn now_ms(&self) -> i64 {
        unix_ms(self.services.context.clock.now())
    }

    fn random(&self) -> String {
        let mut bytes = [0u8; 32];
        self.services.context.entropy.fill(&mut bytes);
        b64().encode(bytes)
    }

    fn new_id(&self) -> String {
        let mut bytes = [0u8; 16];
        self.services.context.entropy.fill(&mut bytes);
        format!("oa-{}", hex::encode(bytes))
    }

    /// A new authorization waiting for its browser (a minute at most).
    fn new_row(
        &self,
        party: &RelyingPartyRow,
        request: &AuthorizationRequest,
        request_uri: Option<String>,
    ) -> Result<OidcAuthorizationRow, OAuthError> {
        let now_ms = self.now_ms();
        Ok(OidcAuthorizationRow {
            id: self.new_id(),
            rp_id: party.id.clone(),
            request: serde_json::to_string(request).map_err(|_| corrupt())?,
            request_uri,
            session_id: None,
            browser: None,
            code_digest: None,
            state: State::Pushed,
            expires_at_ms: now_ms + REQUEST_URI_SECONDS * 1000,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        })
    }

    fn settings(party: &RelyingPartyRow) -> Result<&OidcClient, OAuthError> {
        party.oidc.as_ref().ok_or(OAuthError::new(
            OAuthCode::UnauthorizedClient,
            "this relying party has no OpenID Connect registration",
        ))
    }

    fn request_of(row: &OidcAuthorizationRow) -> Result<AuthorizationRequest, OAuthError> {
        serde_json::from_str(&row.request).map_err(|_| corrupt())
    }

    /// RFC 9126: stores an authenticated client's request for the browser
    /// to pick up by `request_uri` within a minute.
    /// `dpop_jkt` is the key of a DPoP proof sent with the push: the code
    /// is then bound to it (RFC 9449 §10.1).
    pub async fn push(
        &self,
        party: &RelyingPartyRow,
        parameters: &Parameters,
        dpop_jkt: Option<String>,
    ) -> Result<(String, i64), OAuthError> {
        if parameters.get("request_uri").is_some() {
            return Err(OAuthError::request("a pushed request cannot carry a request_uri"));
        }
        let settings = Self::settings(party)?;
        // Each request becomes a session: it counts against the client's quota.
        self.services.authentication.charge(party).await?;
        let mut request = validate(parameters, party, settings)?;
        if let Some(jkt) = dpop_jkt {
            if request.dpop_jkt.as_ref().is_some_and(|given| *given != jkt) {
                return Err(OAuthError::new(OAuthCode::InvalidDpopProof, "dpop_jkt is not the DPoP proof's key"));
            }
            request.dpop_jkt = Some(jkt);
        }
        let request_uri = format!("{REQUEST_URI_PREFIX}{}", self.random());
        let row = self.new_row(party, &request, Some(request_uri.clone()))?;
        self.services.context.store.insert_oidc_authorization(&row).await?;
        Ok((request_uri, REQUEST_URI_SECONDS))
    }

    /// The authorization endpoint. Errors about the client or its redirect
    /// URI are shown to the user (`Err`), never redirected (RFC 6749
    /// §4.1.2.1); the rest go back to the client.
    pub async fn authorize(&self, parameters: &Parameters) -> Result<AuthorizeOutcome, OAuthError> {
        let client_id = parameters.get("client_id").ok_or(OAuthError::request("client_id is required"))?;
        let party = self
            .services
            .relying_parties
            .find(client_id)
            .await
            .ok()
            .filter(|p| p.active)
            .ok_or(OAuthError::request("unknown client_id"))?;
        let settings = Self::settings(&party)?;
        let now_ms = self.now_ms();
        let (row, request) = match parameters.get("request_uri") {
            Some(uri) => {
                let row = self
                    .services
                    .context
                    .store
                    .find_oidc_authorization_by(OidcLookup::RequestUri(uri))
                    .await?
                    .filter(|row| row.rp_id == party.id && row.state == State::Pushed && row.expires_at_ms >= now_ms)
                    .ok_or(OAuthError::new(
                        OAuthCode::InvalidRequestUri,
                        "request_uri is unknown, used or expired",
                    ))?;
                let request = Self::request_of(&row)?;
                (row, request)
            }
            None => {
                let redirect =
                    registered_redirect(settings, parameters).ok_or(OAuthError::request("redirect_uri is missing or not registered"))?;
                // Unauthenticated, and it opens a session: the client's quota bounds it.
                self.services.authentication.charge(&party).await?;
                let request = match validate(parameters, &party, settings) {
                    Ok(request) => request,
                    Err(error) => {
                        return Ok(AuthorizeOutcome::Redirect(error_redirect(
                            redirect,
                            &error,
                            parameters.get("state"),
                            &self.issuer,
                        )))
                    }
                };
                let row = self.new_row(&party, &request, None)?;
                self.services.context.store.insert_oidc_authorization(&row).await?;
                (row, request)
            }
        };
        match self.start(&party, &row, &request).await {
            Ok(started) => Ok(AuthorizeOutcome::SignIn(started)),
            Err(error) => Ok(AuthorizeOutcome::Redirect(error_redirect(
                &request.redirect_uri,
                &error,
                request.state.as_deref(),
                &self.issuer,
            ))),
        }
    }

    /// Opens the sign-in session and binds the authorization to this browser.
    async fn start(
        &self,
        party: &RelyingPartyRow,
        row: &OidcAuthorizationRow,
        request: &AuthorizationRequest,
    ) -> Result<Started, OAuthError> {
        let spec = SessionSpec {
            mode: AuthMode::parse(&request.mode).ok_or_else(corrupt)?,
            purpose: SIGN_IN_PURPOSE.into(),
            attributes: request.attributes.iter().filter_map(|a| Attribute::parse(a)).collect(),
            expires_in_seconds: SIGN_IN_SECONDS,
        };
        let session = self.services.sessions.create(party, &spec).await?;
        let cookie = self.random();
        let step = OidcStep {
            from: State::Pushed,
            to: State::Started,
            session_id: Some(session.id.clone()),
            browser: Some(wz_crypto::sm3(cookie.as_bytes())),
            code_digest: None,
            expires_at_ms: session.expires_at_ms,
            at_ms: self.now_ms(),
        };
        match self
            .services
            .context
            .store
            .step_oidc_authorization(&row.id, &step, None, None)
            .await
        {
            Ok(_) => Ok(Started {
                handle: row.id.clone(),
                cookie,
            }),
            Err(StoreError::Conflict) => Err(OAuthError::new(OAuthCode::InvalidRequestUri, "request_uri was already used")),
            Err(other) => Err(other.into()),
        }
    }

    /// The started authorization of this browser.
    async fn own(&self, handle: &str, cookie: Option<&str>) -> Result<(OidcAuthorizationRow, AuthorizationRequest), OAuthError> {
        let not_found = || OAuthError::request("no such sign-in in this browser");
        let row = self
            .services
            .context
            .store
            .find_oidc_authorization(handle)
            .await?
            .ok_or_else(not_found)?;
        let bound = match (cookie, row.browser) {
            (Some(cookie), Some(digest)) => wz_crypto::constant_time_eq(&wz_crypto::sm3(cookie.as_bytes()), &digest),
            _ => false,
        };
        if !bound {
            return Err(not_found());
        }
        let request = Self::request_of(&row)?;
        Ok((row, request))
    }

    /// What the sign-in page shows now.
    pub async fn status(&self, handle: &str, cookie: Option<&str>) -> Result<SignInStatus, OAuthError> {
        let (row, request) = self.own(handle, cookie).await?;
        let session = self.session_of(&row).await?;
        let state = self.services.sessions.state_of(&session);
        let party = self.services.relying_parties.find(&row.rp_id).await?;
        let frame = (state == SessionState::Created && row.state == State::Started)
            .then(|| wz_core::session_frame(&session.secret, &session.id, self.now_ms()));
        Ok(SignInStatus {
            state: state.as_str().to_owned(),
            frame,
            client_name: party.name,
            level: request.level.as_str().to_owned(),
            attributes: request.attributes,
            expires_at_ms: session.expires_at_ms,
        })
    }

    async fn session_of(&self, row: &OidcAuthorizationRow) -> Result<wz_store::SessionRow, OAuthError> {
        let id = row.session_id.as_deref().ok_or_else(corrupt)?;
        self.services.context.store.find_session(id).await?.ok_or_else(corrupt)
    }

    fn statement_of(&self, session: &wz_store::SessionRow) -> Result<Option<AuthStatement>, OAuthError> {
        let signed = self.services.sessions.result_of(session).map_err(OAuthError::from)?;
        signed.map(|s| s.unverified_statement().map_err(|_| corrupt())).transpose()
    }

    /// The browser comes back from the page: with a completed session it
    /// goes to the client with a fresh code, otherwise with the reason.
    /// `Ok(None)` while the session is still running.
    pub async fn finish(&self, handle: &str, cookie: Option<&str>) -> Result<Option<String>, OAuthError> {
        let (row, request) = self.own(handle, cookie).await?;
        if row.state != State::Started {
            return Err(OAuthError::request("this sign-in has already ended"));
        }
        let session = self.session_of(&row).await?;
        let state = self.services.sessions.state_of(&session);
        let now_ms = self.now_ms();
        let refusal = match state {
            SessionState::Completed => match self.statement_of(&session)? {
                Some(statement) if statement.result == "success" => {
                    let reached = statement.level.as_deref().and_then(AssuranceLevel::parse);
                    if reached.is_some_and(|level| level.satisfies(request.level)) {
                        None
                    } else {
                        Some(OAuthError::new(
                            OAuthCode::AccessDenied,
                            "the level reached is below the one requested",
                        ))
                    }
                }
                _ => Some(OAuthError::new(OAuthCode::AccessDenied, "the citizen could not be authenticated")),
            },
            SessionState::Declined => Some(OAuthError::new(OAuthCode::AccessDenied, "the citizen declined")),
            SessionState::Expired | SessionState::Cancelled => Some(OAuthError::new(OAuthCode::AccessDenied, "the sign-in expired")),
            _ => return Ok(None),
        };
        let mut step = OidcStep::new(State::Started, State::Ended, now_ms, now_ms);
        let code = self.random();
        if refusal.is_none() {
            step.to = State::CodeIssued;
            step.code_digest = Some(wz_crypto::sm3(code.as_bytes()));
            step.expires_at_ms = now_ms + CODE_SECONDS * 1000;
        }
        match self
            .services
            .context
            .store
            .step_oidc_authorization(&row.id, &step, None, None)
            .await
        {
            Ok(_) => {}
            Err(StoreError::Conflict) => return Err(OAuthError::request("this sign-in has already ended")),
            Err(other) => return Err(other.into()),
        }
        if let Some(error) = refusal {
            return Ok(Some(error_redirect(
                &request.redirect_uri,
                &error,
                request.state.as_deref(),
                &self.issuer,
            )));
        }
        Ok(Some(authorization_response(
            &request.redirect_uri,
            &[("code", &code)],
            request.state.as_deref(),
            &self.issuer,
        )))
    }

    /// The token endpoint's `authorization_code` grant for an
    /// authenticated client. A code redeemed twice ends its authorization
    /// and revokes what the first redemption issued (RFC 9700 §4.2.1).
    pub async fn redeem(&self, party: &RelyingPartyRow, form: &Parameters, dpop_jkt: Option<String>) -> Result<TokenResponse, OAuthError> {
        if form.get("grant_type") != Some("authorization_code") {
            return Err(OAuthError::new(
                OAuthCode::UnsupportedGrantType,
                "grant_type must be authorization_code",
            ));
        }
        let code = form.get("code").ok_or(OAuthError::request("code is required"))?;
        let digest = wz_crypto::sm3(code.as_bytes());
        let store = &self.services.context.store;
        let (row, session) = store
            .find_oidc_code(&digest)
            .await?
            .filter(|(row, _)| row.rp_id == party.id)
            .ok_or(OAuthError::grant("the code is unknown or not this client's"))?;
        let now_ms = self.now_ms();
        if row.state == State::Redeemed {
            let step = OidcStep::new(State::Redeemed, State::Ended, now_ms, now_ms);
            let audit = AuditDraft::new(
                &party.id,
                "oidc.code_reused",
                Some(row.id.clone()),
                self.services.context.clock.now(),
            );
            let _ = store.step_oidc_authorization(&row.id, &step, None, Some(audit)).await;
            return Err(OAuthError::grant("the code was already used; its tokens are revoked"));
        }
        if row.state != State::CodeIssued || row.expires_at_ms < now_ms {
            return Err(OAuthError::grant("the code is used or expired"));
        }
        let request = Self::request_of(&row)?;
        if form.get("redirect_uri") != Some(request.redirect_uri.as_str()) {
            return Err(OAuthError::grant("redirect_uri does not match the authorization request"));
        }
        let verifier = form
            .get("code_verifier")
            .ok_or(OAuthError::grant("code_verifier is required (PKCE)"))?;
        if !pkce_matches(verifier, &request.code_challenge) {
            return Err(OAuthError::grant("code_verifier does not match the code_challenge"));
        }
        if request.dpop_jkt.is_some() && request.dpop_jkt != dpop_jkt {
            return Err(OAuthError::new(
                OAuthCode::InvalidDpopProof,
                "the code is bound to another DPoP key",
            ));
        }
        let session = session.ok_or_else(corrupt)?;
        let statement = self.statement_of(&session)?.ok_or_else(corrupt)?;
        let settings = Self::settings(party)?;
        let access_token = self.random();
        let token = OidcTokenRow {
            digest: wz_crypto::sm3(access_token.as_bytes()),
            authorization_id: row.id.clone(),
            rp_id: party.id.clone(),
            jkt: dpop_jkt.clone(),
            expires_at_ms: now_ms + i64::from(settings.access_token_seconds) * 1000,
            revoked: false,
        };
        let audit = AuditDraft::new(
            &party.id,
            "oidc.token_issued",
            Some(row.id.clone()),
            self.services.context.clock.now(),
        )
        .with_details(json!({ "session": session.id, "level": statement.level, "dpop": dpop_jkt.is_some() }));
        let redemption = OidcRedemption {
            authorization_id: row.id.clone(),
            at_ms: now_ms,
            token,
            audit,
        };
        match self.redemptions.submit(redemption).await {
            Some(Ok(true)) => {}
            Some(Ok(false)) => return Err(OAuthError::grant("the code was already used")),
            Some(Err(other)) => return Err(other.into()),
            None => return Err(StoreError::Unavailable("the redemption journal stopped".into()).into()),
        }
        let id_token = self.id_token(party, settings, &request, &statement, now_ms)?;
        Ok(TokenResponse {
            access_token,
            token_type: if dpop_jkt.is_some() { "DPoP" } else { "Bearer" }.into(),
            expires_in: settings.access_token_seconds,
            id_token,
            scope: request.scope,
        })
    }

    fn id_token(
        &self,
        party: &RelyingPartyRow,
        settings: &OidcClient,
        request: &AuthorizationRequest,
        statement: &AuthStatement,
        now_ms: i64,
    ) -> Result<String, OAuthError> {
        let now = now_ms / 1000;
        let mut claims = json!({
            "iss": self.issuer,
            "sub": statement.subject,
            "aud": party.id,
            "azp": party.id,
            "iat": now,
            "exp": now + i64::from(settings.access_token_seconds),
            "auth_time": statement.issued_at_ms / 1000,
            "nonce": request.nonce,
            "acr": statement.level,
            "amr": amr(&statement.mode, statement.liveness.is_some()),
        });
        let wanted: Vec<Attribute> = request
            .id_token_claims
            .iter()
            .filter_map(|c| crate::claims::attribute_of_claim(c))
            .collect();
        if let Value::Object(map) = &mut claims {
            map.extend(released_claims(&statement.attributes, &wanted));
        }
        let keyring = &self.services.context.keyring;
        let signer = match settings.id_token_alg {
            IdTokenAlg::Es256 => Signer::Es256(&keyring.platform_es256),
            IdTokenAlg::Sm2 => Signer::Sm2(&keyring.platform_sm2),
        };
        signer
            .sign("JWT", &claims)
            .map_err(|_| OAuthError::new(OAuthCode::ServerError, "signing failed"))
    }

    /// Userinfo (OpenID Connect Core §5.3) for an access token; `dpop_jkt`
    /// is the key of a verified DPoP proof, if one came.
    pub async fn userinfo(&self, access_token: &str, dpop_jkt: Option<&str>) -> Result<Value, OAuthError> {
        let invalid = || OAuthError::new(OAuthCode::InvalidToken, "the access token is unknown, expired or revoked");
        let store = &self.services.context.store;
        let token = store
            .find_oidc_token(&wz_crypto::sm3(access_token.as_bytes()))
            .await?
            .filter(|t| !t.revoked && t.expires_at_ms >= self.now_ms())
            .ok_or_else(invalid)?;
        if token.jkt.as_deref() != dpop_jkt {
            return Err(OAuthError::new(OAuthCode::InvalidToken, "the access token is bound to a DPoP key"));
        }
        let row = store.find_oidc_authorization(&token.authorization_id).await?.ok_or_else(invalid)?;
        if row.state != State::Redeemed {
            return Err(invalid());
        }
        let request = Self::request_of(&row)?;
        let session = self.session_of(&row).await?;
        let statement = self.statement_of(&session)?.ok_or_else(corrupt)?;
        let wanted: Vec<Attribute> = request.attributes.iter().filter_map(|a| Attribute::parse(a)).collect();
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), json!(statement.subject));
        claims.extend(masked_claims(&statement.attributes));
        claims.extend(released_claims(&statement.attributes, &wanted));
        Ok(Value::Object(claims))
    }
}

/// Authentication methods (RFC 8176) of a mode; `user` (a user presence
/// test) when the face came from a sequence that answered a liveness
/// challenge rather than one still picture.
fn amr(mode: &str, live: bool) -> Vec<&'static str> {
    let mut methods = match AuthMode::parse(mode) {
        Some(AuthMode::PortraitCredentialPin) => vec!["swk", "face", "pin", "mfa"],
        Some(AuthMode::PortraitCredential) => vec!["swk", "face", "mfa"],
        _ => vec!["swk"],
    };
    if live && methods.contains(&"face") {
        methods.push("user");
    }
    methods
}
