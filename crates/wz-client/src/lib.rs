//! Typed HTTP client for the WangZheng `/v1` API, used by the CLI and by
//! end-to-end tests. Speaks only `wz-proto` types.

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wz_proto::{
    AuditVerifyResponse, CardChallengeResponse, ChangeStatusRequest, ChangeStatusResponse, ErrorBody, HealthResponse, KeysResponse,
    ReadCardRequest, ReadCardResponse,
};

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
    #[error("transport: {0}")]
    Transport(#[from] reqwest::Error),
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
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    admin_token: Option<String>,
}

impl Client {
    /// A client for `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: &str) -> Self {
        Self {
            base: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            admin_token: None,
        }
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

    /// `GET /v1/admin/audit/verify`.
    pub async fn verify_audit(&self) -> Result<AuditVerifyResponse, ClientError> {
        Self::send(self.admin(Method::GET, "/v1/admin/audit/verify")).await
    }
}
