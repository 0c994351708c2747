//! Typed HTTP client for the WangZheng `/v1` API, used by the CLI and by
//! end-to-end tests. Speaks only `wz-proto` types.

#[cfg(feature = "signing")]
mod signer;

#[cfg(feature = "signing")]
pub use signer::{KeySigner, NowMs};

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wz_proto::{
    AuditVerifyResponse, BindEnrolmentRequest, BindEnrolmentResponse, CancelledEnrolmentResponse, CardChallengeResponse,
    ChangeStatusRequest, ChangeStatusResponse, CompleteEnrolmentRequest, CredentialResponse, CredentialStatusRequest,
    CredentialStatusResponse, EnrolledCredentialRequest, ErrorBody, HealthResponse, KeysResponse, LightApplicationRequest,
    LivenessChallengeResponse, OpenEnrolmentResponse, PasswordCheckRequest, PasswordCheckResponse, QrVerifyRequest, QrVerifyResponse,
    ReadCardRequest, ReadCardResponse, RegisterTerminalRequest, TerminalResponse,
};
use wz_proto::{
    AuthenticationRequest, AuthenticationResponse, RegisteredRelyingParty, RelyingPartyList, RelyingPartyRequest, RelyingPartyResponse,
    RelyingPartyStateRequest, WalletHistoryRequest, WalletHistoryResponse,
};
use wz_proto::{
    CompleteSessionRequest, CreateSessionRequest, CreateTransactionRequest, CreatedSession, CreatedTransaction, ScanSessionRequest,
    ScannedSessionResponse, SessionStatus, TransactionStatus,
};

/// Signs requests for the endpoints that need a wallet's or a terminal's
/// signature: returns the `x-wz-*` headers for exactly these bytes.
pub trait RequestSigner: Send + Sync {
    /// Headers for `method path` with `body`.
    fn headers(&self, method: &str, path: &str, body: &[u8]) -> Vec<(&'static str, String)>;
}

/// What went wrong calling the API.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error body.
    #[error("{} ({}): {} [request {}]", .body.code, .status, .body.message, .body.request_id)]
    Api {
        /// HTTP status.
        status: StatusCode,
        /// The error body.
        body: ErrorBody,
    },
    /// The server could not be reached or answered something unexpected.
    /// Shown as one line that names the server tried and what to do; the
    /// library's own cause chain is not repeated after it.
    #[error("{}", transport_message(.0))]
    Transport(reqwest::Error),
}

impl From<reqwest::Error> for ClientError {
    fn from(error: reqwest::Error) -> Self {
        Self::Transport(error)
    }
}

/// `scheme://host:port` of the URL a failed request went to.
fn server_of(error: &reqwest::Error) -> String {
    error
        .url()
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_else(|| "the server".to_owned())
}

fn transport_message(error: &reqwest::Error) -> String {
    let server = server_of(error);
    if error.is_builder() {
        "the server URL is not valid: give it as http://HOST:PORT with --server or WZ_SERVER_URL".to_owned()
    } else if error.is_connect() {
        format!("cannot connect to {server}: is `wz serve` running there? Start it, or pass --server URL (or set WZ_SERVER_URL) for another server")
    } else if error.is_timeout() {
        format!("{server} did not answer in time; check that it is a WangZheng server and not overloaded")
    } else if error.is_decode() {
        format!("{server} answered something that is not a WangZheng API response; check --server")
    } else {
        // The innermost cause says most ("connection reset by peer").
        let mut cause: &dyn std::error::Error = error;
        while let Some(next) = cause.source() {
            cause = next;
        }
        format!("talking to {server}: {cause}")
    }
}

impl ClientError {
    /// The API result code, if the server answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { body, .. } => Some(&body.code),
            Self::Transport(_) => None,
        }
    }
}

/// A client for one server.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    admin_token: Option<String>,
    rp_signer: Option<std::sync::Arc<dyn RequestSigner>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: &str) -> Self {
        Self {
            base: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            admin_token: None,
            rp_signer: None,
        }
    }

    /// Signs relying-party calls with the RP's registered request key.
    pub fn with_rp_signer(mut self, signer: std::sync::Arc<dyn RequestSigner>) -> Self {
        self.rp_signer = Some(signer);
        self
    }

    /// Adds the operator bearer token to admin calls.
    pub fn with_admin_token(mut self, token: &str) -> Self {
        self.admin_token = Some(token.to_owned());
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self.request(method, path);
        match &self.admin_token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    async fn send<T: DeserializeOwned>(builder: RequestBuilder) -> Result<T, ClientError> {
        let response = builder.send().await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response.json().await?);
        }
        let body = response.json::<ErrorBody>().await?;
        Err(ClientError::Api { status, body })
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, builder: RequestBuilder, body: &B) -> Result<T, ClientError> {
        let _ = self;
        Self::send(builder.json(body)).await
    }

    /// `GET /healthz`.
    pub async fn health(&self) -> Result<HealthResponse, ClientError> {
        Self::send(self.request(Method::GET, "/healthz")).await
    }

    /// `GET /readyz`.
    pub async fn ready(&self) -> Result<HealthResponse, ClientError> {
        Self::send(self.request(Method::GET, "/readyz")).await
    }

    /// `GET /v1/keys`.
    pub async fn keys(&self) -> Result<KeysResponse, ClientError> {
        Self::send(self.request(Method::GET, "/v1/keys")).await
    }

    /// `POST /v1/cards/challenge`.
    pub async fn card_challenge(&self) -> Result<CardChallengeResponse, ClientError> {
        Self::send(self.request(Method::POST, "/v1/cards/challenge")).await
    }

    /// `POST /v1/cards/read`.
    pub async fn read_card(&self, request: &ReadCardRequest) -> Result<ReadCardResponse, ClientError> {
        self.post(self.request(Method::POST, "/v1/cards/read"), request).await
    }

    /// `POST /v1/admin/identities/status`.
    pub async fn change_status(&self, request: &ChangeStatusRequest) -> Result<ChangeStatusResponse, ClientError> {
        self.post(self.admin(Method::POST, "/v1/admin/identities/status"), request).await
    }

    /// A signed JSON `POST`.
    async fn post_signed<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        signer: &dyn RequestSigner,
    ) -> Result<T, ClientError> {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let mut builder = self
            .request(Method::POST, path)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in signer.headers("POST", path, &bytes) {
            builder = builder.header(name, value);
        }
        Self::send(builder.body(bytes)).await
    }

    /// `POST /v1/admin/terminals`.
    pub async fn register_terminal(&self, request: &RegisterTerminalRequest) -> Result<TerminalResponse, ClientError> {
        self.post(self.admin(Method::POST, "/v1/admin/terminals"), request).await
    }

    /// `POST /v1/liveness/challenges`.
    pub async fn liveness_challenge(&self) -> Result<LivenessChallengeResponse, ClientError> {
        Self::send(self.request(Method::POST, "/v1/liveness/challenges")).await
    }

    /// `POST /v1/credentials/light` (signed by the wallet).
    pub async fn apply_light(
        &self,
        request: &LightApplicationRequest,
        wallet: &dyn RequestSigner,
    ) -> Result<CredentialResponse, ClientError> {
        self.post_signed("/v1/credentials/light", request, wallet).await
    }

    /// `POST /v1/terminal/enrolments` (signed by the terminal).
    pub async fn open_enrolment(&self, terminal: &dyn RequestSigner) -> Result<OpenEnrolmentResponse, ClientError> {
        self.post_signed("/v1/terminal/enrolments", &serde_json::json!({}), terminal).await
    }

    /// `POST /v1/terminal/enrolments/{id}/cancel` (signed by the terminal).
    pub async fn cancel_enrolment(
        &self,
        enrolment_id: &str,
        terminal: &dyn RequestSigner,
    ) -> Result<CancelledEnrolmentResponse, ClientError> {
        self.post_signed(
            &format!("/v1/terminal/enrolments/{enrolment_id}/cancel"),
            &serde_json::json!({}),
            terminal,
        )
        .await
    }

    /// `POST /v1/wallet/enrolments` (signed by the wallet).
    pub async fn bind_enrolment(
        &self,
        request: &BindEnrolmentRequest,
        wallet: &dyn RequestSigner,
    ) -> Result<BindEnrolmentResponse, ClientError> {
        self.post_signed("/v1/wallet/enrolments", request, wallet).await
    }

    /// `POST /v1/terminal/enrolments/{id}/complete` (signed by the terminal).
    pub async fn complete_enrolment(
        &self,
        enrolment_id: &str,
        request: &CompleteEnrolmentRequest,
        terminal: &dyn RequestSigner,
    ) -> Result<CredentialResponse, ClientError> {
        self.post_signed(&format!("/v1/terminal/enrolments/{enrolment_id}/complete"), request, terminal)
            .await
    }

    /// `POST /v1/wallet/enrolments/credential` (signed by the wallet).
    pub async fn enrolled_credential(
        &self,
        request: &EnrolledCredentialRequest,
        wallet: &dyn RequestSigner,
    ) -> Result<CredentialResponse, ClientError> {
        self.post_signed("/v1/wallet/enrolments/credential", request, wallet).await
    }

    /// `POST /v1/wallet/status` (signed by the wallet).
    pub async fn credential_status(
        &self,
        request: &CredentialStatusRequest,
        wallet: &dyn RequestSigner,
    ) -> Result<CredentialStatusResponse, ClientError> {
        self.post_signed("/v1/wallet/status", request, wallet).await
    }

    /// `POST /v1/wallet/password/check` (signed by the wallet).
    pub async fn check_password(
        &self,
        request: &PasswordCheckRequest,
        wallet: &dyn RequestSigner,
    ) -> Result<PasswordCheckResponse, ClientError> {
        self.post_signed("/v1/wallet/password/check", request, wallet).await
    }

    /// `POST /v1/admin/relying-parties` (operator).
    pub async fn register_relying_party(&self, request: &RelyingPartyRequest) -> Result<RegisteredRelyingParty, ClientError> {
        self.post(self.admin(Method::POST, "/v1/admin/relying-parties"), request).await
    }

    /// `PUT /v1/admin/relying-parties/{id}` (operator).
    pub async fn update_relying_party(&self, id: &str, request: &RelyingPartyRequest) -> Result<RelyingPartyResponse, ClientError> {
        self.post(self.admin(Method::PUT, &format!("/v1/admin/relying-parties/{id}")), request)
            .await
    }

    /// `POST /v1/admin/relying-parties/{id}/secret` (operator).
    pub async fn rotate_relying_party_secret(&self, id: &str) -> Result<RegisteredRelyingParty, ClientError> {
        Self::send(self.admin(Method::POST, &format!("/v1/admin/relying-parties/{id}/secret"))).await
    }

    /// `POST /v1/admin/relying-parties/{id}/state` (operator).
    pub async fn set_relying_party_state(&self, id: &str, active: bool) -> Result<RelyingPartyResponse, ClientError> {
        let path = format!("/v1/admin/relying-parties/{id}/state");
        self.post(self.admin(Method::POST, &path), &RelyingPartyStateRequest { active })
            .await
    }

    /// `GET /v1/relying-parties` (public).
    pub async fn relying_parties(&self) -> Result<RelyingPartyList, ClientError> {
        Self::send(self.request(Method::GET, "/v1/relying-parties")).await
    }

    /// `GET /v1/demo/setup` (demo servers only).
    pub async fn demo_setup(&self) -> Result<wz_proto::DemoSetup, ClientError> {
        Self::send(self.request(Method::GET, "/v1/demo/setup")).await
    }

    /// `POST /v1/demo/people`: enrols a new person at the demo registry
    /// office with `photo` (base64) as the portrait (demo servers only).
    pub async fn demo_enrol_person(&self, name: &str, photo: &str) -> Result<wz_proto::DemoEnrolledPerson, ClientError> {
        let request = wz_proto::DemoPersonRequest {
            name: name.to_owned(),
            photo: photo.to_owned(),
        };
        self.post(self.request(Method::POST, "/v1/demo/people"), &request).await
    }

    /// `POST /v1/authentications` as relying party `client_id`.
    pub async fn authenticate(
        &self,
        client_id: &str,
        client_secret: &str,
        request: &AuthenticationRequest,
    ) -> Result<AuthenticationResponse, ClientError> {
        let builder = self.party_call(Method::POST, "/v1/authentications", (client_id, client_secret), Some(request));
        Self::send(builder).await
    }

    /// A relying party's call: HTTP Basic, the JSON body as bytes, and the
    /// request signature when an RP signer is set (over the path, without
    /// the query).
    fn party_call<B: Serialize>(&self, method: Method, path: &str, party: (&str, &str), body: Option<&B>) -> RequestBuilder {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default()).unwrap_or_default();
        let mut builder = self.request(method.clone(), path).basic_auth(party.0, Some(party.1));
        if let Some(signer) = &self.rp_signer {
            let bare = path.split('?').next().unwrap_or(path);
            for (name, value) in signer.headers(method.as_str(), bare, &bytes) {
                builder = builder.header(name, value);
            }
        }
        if body.is_some() {
            builder = builder.header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes);
        }
        builder
    }

    /// `POST /v1/sessions` as relying party `(client id, secret)`.
    pub async fn create_session(&self, party: (&str, &str), request: &CreateSessionRequest) -> Result<CreatedSession, ClientError> {
        Self::send(self.party_call(Method::POST, "/v1/sessions", party, Some(request))).await
    }

    /// `GET /v1/sessions/{id}`, long-polling up to `wait` seconds while the
    /// state is still `after`.
    pub async fn session(&self, party: (&str, &str), id: &str, wait: Option<(u64, &str)>) -> Result<SessionStatus, ClientError> {
        let path = match wait {
            Some((seconds, after)) => format!("/v1/sessions/{id}?wait={seconds}&after={after}"),
            None => format!("/v1/sessions/{id}"),
        };
        Self::send(self.party_call::<()>(Method::GET, &path, party, None)).await
    }

    /// `POST /v1/sessions/{id}/cancel`.
    pub async fn cancel_session(&self, party: (&str, &str), id: &str) -> Result<SessionStatus, ClientError> {
        Self::send(self.party_call::<()>(Method::POST, &format!("/v1/sessions/{id}/cancel"), party, None)).await
    }

    /// `POST /v1/transactions`.
    pub async fn create_transaction(
        &self,
        party: (&str, &str),
        request: &CreateTransactionRequest,
    ) -> Result<CreatedTransaction, ClientError> {
        Self::send(self.party_call(Method::POST, "/v1/transactions", party, Some(request))).await
    }

    /// `GET /v1/transactions/{id}`.
    pub async fn transaction(&self, party: (&str, &str), id: &str) -> Result<TransactionStatus, ClientError> {
        Self::send(self.party_call::<()>(Method::GET, &format!("/v1/transactions/{id}"), party, None)).await
    }

    /// `POST /v1/wallet/sessions/scan` (signed by the wallet).
    pub async fn scan_session(&self, payload: &str, wallet: &dyn RequestSigner) -> Result<ScannedSessionResponse, ClientError> {
        let request = ScanSessionRequest { payload: payload.into() };
        self.post_signed("/v1/wallet/sessions/scan", &request, wallet).await
    }

    /// `POST /v1/wallet/sessions/{id}/consent` (signed by the wallet).
    pub async fn consent_session(&self, id: &str, wallet: &dyn RequestSigner) -> Result<serde_json::Value, ClientError> {
        self.post_signed(&format!("/v1/wallet/sessions/{id}/consent"), &serde_json::json!({}), wallet)
            .await
    }

    /// `POST /v1/wallet/sessions/{id}/decline` (signed by the wallet).
    pub async fn decline_session(&self, id: &str, wallet: &dyn RequestSigner) -> Result<serde_json::Value, ClientError> {
        self.post_signed(&format!("/v1/wallet/sessions/{id}/decline"), &serde_json::json!({}), wallet)
            .await
    }

    /// `POST /v1/wallet/sessions/{id}/complete` (signed by the wallet).
    pub async fn complete_session(
        &self,
        id: &str,
        request: &CompleteSessionRequest,
        wallet: &dyn RequestSigner,
    ) -> Result<AuthenticationResponse, ClientError> {
        self.post_signed(&format!("/v1/wallet/sessions/{id}/complete"), request, wallet)
            .await
    }

    /// `POST /v1/wallet/history` (signed by the wallet).
    pub async fn wallet_history(
        &self,
        request: &WalletHistoryRequest,
        wallet: &dyn RequestSigner,
    ) -> Result<WalletHistoryResponse, ClientError> {
        self.post_signed("/v1/wallet/history", request, wallet).await
    }

    /// `POST /v1/qr/verify`, as the relying party `party` (id, secret).
    pub async fn verify_qr(&self, party: (&str, &str), request: &QrVerifyRequest) -> Result<QrVerifyResponse, ClientError> {
        let builder = self.party_call(Method::POST, "/v1/qr/verify", party, Some(request));
        Self::send(builder).await
    }

    /// `GET /v1/admin/audit/verify`.
    pub async fn verify_audit(&self) -> Result<AuditVerifyResponse, ClientError> {
        Self::send(self.admin(Method::GET, "/v1/admin/audit/verify")).await
    }
}
