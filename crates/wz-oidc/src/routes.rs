//! The provider's HTTP endpoints: thin handlers over [`Provider`]. Forms
//! and queries are read as raw pairs so that a repeated parameter is an
//! error (RFC 6749 §3.1), not a silent pick.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::client_auth::presented;
use crate::discovery::{jwks, metadata};
use crate::error::{OAuthCode, OAuthError};
use crate::provider::{AuthorizeOutcome, SignInStatus, TokenResponse};
use crate::request::Parameters;
use crate::Provider;

/// Path of the sign-in page (served by `wz-web`).
pub const SIGN_IN_PAGE: &str = "/oidc/signin";
const COOKIE: &str = "wz_oidc";

/// Every endpoint, for any router state.
pub fn router<S: Clone + Send + Sync + 'static>(provider: Provider) -> Router<S> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(keys))
        .route("/oidc/par", axum::routing::post(par))
        .route("/oidc/authorize", get(authorize))
        .route("/oidc/signin/{handle}/status", get(status))
        .route("/oidc/signin/{handle}/finish", get(finish))
        .route("/oidc/token", axum::routing::post(token))
        .route("/oidc/userinfo", get(userinfo).post(userinfo))
        .with_state(Arc::new(provider))
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let body = Json(json!({ "error": self.code.as_str(), "error_description": self.description }));
        let mut response = (status, no_store(), body).into_response();
        let challenge = match self.code {
            OAuthCode::InvalidClient => Some("Basic realm=\"wz-oidc\"".to_owned()),
            OAuthCode::InvalidToken => Some(format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                self.description
            )),
            _ => None,
        };
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")]
}

fn pairs(text: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text).into_owned().collect()
}

fn form(headers: &HeaderMap, body: &Bytes) -> Result<Parameters, OAuthError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::request("the body must be application/x-www-form-urlencoded"));
    }
    Parameters::new(pairs(body))
}

/// The `DPoP` header, if one (and only one) was sent.
fn dpop_header(headers: &HeaderMap) -> Result<Option<&str>, OAuthError> {
    let mut values = headers.get_all("dpop").iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(value), None) => value
            .to_str()
            .map(Some)
            .map_err(|_| OAuthError::new(OAuthCode::InvalidDpopProof, "the DPoP header is not text")),
        (Some(_), Some(_)) => Err(OAuthError::new(OAuthCode::InvalidDpopProof, "send one DPoP header")),
    }
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => OAuthError::new(OAuthCode::ServerError, "unusable redirect").into_response(),
    }
}

/// OpenID Provider metadata (OpenID Connect Discovery 1.0, RFC 8414).
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "oidc",
    responses((status = 200, description = "Provider metadata", body = Object)))]
pub(crate) async fn discovery(State(provider): State<Arc<Provider>>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(metadata(provider.issuer())))
}

/// The keys ID tokens are signed with (ES256 and SM2).
#[utoipa::path(get, path = "/oidc/jwks", tag = "oidc", responses((status = 200, description = "JWK Set", body = Object)))]
pub(crate) async fn keys(State(provider): State<Arc<Provider>>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(jwks(&provider.services.context.keyring)),
    )
}

/// A client's POST to `path`: its form, the authenticated client and the
/// key of its DPoP proof, if it sent one.
async fn client_post(
    provider: &Provider,
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Parameters, wz_store::RelyingPartyRow, Option<String>), OAuthError> {
    let form = form(headers, body)?;
    let endpoint = format!("{}{path}", provider.issuer());
    let party = provider
        .authenticate_client(presented(authorization(headers), &form)?, &form, &endpoint)
        .await?;
    let jkt = match dpop_header(headers)? {
        Some(proof) => Some(provider.check_dpop(proof, "POST", &endpoint, None).await?),
        None => None,
    };
    Ok((form, party, jkt))
}

/// A pushed authorization request's parameters (RFC 9126; OpenID Connect Core §3.1.2.1).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the form; the handler reads raw pairs
pub(crate) struct PushedAuthorizationRequest {
    /// `code`.
    response_type: String,
    /// The client id (the relying party's id).
    client_id: Option<String>,
    /// A registered redirect URI, exactly.
    redirect_uri: String,
    /// Space-separated, with `openid`.
    scope: String,
    /// Required.
    nonce: String,
    /// Carried back.
    state: Option<String>,
    /// BASE64URL(SHA-256(verifier)).
    code_challenge: String,
    /// `S256`.
    code_challenge_method: String,
    /// Levels accepted, e.g. `L3 L4`.
    acr_values: Option<String>,
    /// OpenID Connect `claims` request (JSON).
    claims: Option<String>,
    /// RFC 9449 §10: the DPoP key to bind the code to.
    dpop_jkt: Option<String>,
    /// `private_key_jwt`: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    client_assertion_type: Option<String>,
    /// `private_key_jwt`: the signed assertion.
    client_assertion: Option<String>,
}

/// Where the browser picks the pushed request up.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct PushedAuthorizationResponse {
    /// `urn:ietf:params:oauth:request_uri:…`, single use.
    request_uri: String,
    /// Seconds.
    expires_in: i64,
}

/// An OAuth error.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct OAuthErrorBody {
    /// The OAuth error code, e.g. `invalid_request`.
    error: String,
    /// Why, without personal data.
    error_description: String,
}

/// The token request (`authorization_code` only).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the form; the handler reads raw pairs
pub(crate) struct TokenRequest {
    /// `authorization_code`.
    grant_type: String,
    /// The code from the redirect.
    code: String,
    /// The redirect URI of the authorization request.
    redirect_uri: String,
    /// The PKCE verifier.
    code_verifier: String,
    /// The client id.
    client_id: Option<String>,
    /// `private_key_jwt`: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    client_assertion_type: Option<String>,
    /// `private_key_jwt`: the signed assertion.
    client_assertion: Option<String>,
}

/// Pushed authorization request (RFC 9126): the client's back end sends the
/// request, authenticated, and gets the `request_uri` the browser carries.
#[utoipa::path(post, path = "/oidc/par", tag = "oidc",
    request_body(content = PushedAuthorizationRequest, content_type = "application/x-www-form-urlencoded"),
    security(("basic" = [])),
    responses((status = 201, body = PushedAuthorizationResponse), (status = 400, body = OAuthErrorBody), (status = 401, body = OAuthErrorBody),
        (status = 403, body = OAuthErrorBody), (status = 429, body = OAuthErrorBody)))]
pub(crate) async fn par(State(provider): State<Arc<Provider>>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let (form, party, jkt) = client_post(&provider, "/oidc/par", &headers, &body).await?;
        provider.push(&party, &form, jkt).await
    }
    .await;
    match result {
        Ok((request_uri, expires_in)) => (
            StatusCode::CREATED,
            no_store(),
            Json(PushedAuthorizationResponse { request_uri, expires_in }),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

async fn authorize(State(provider): State<Arc<Provider>>, RawQuery(query): RawQuery) -> Response {
    let parameters = match Parameters::new(pairs(query.unwrap_or_default().as_bytes())) {
        Ok(parameters) => parameters,
        Err(error) => return error_page(&error),
    };
    match provider.authorize(&parameters).await {
        Ok(AuthorizeOutcome::Redirect(location)) => see_other(&location),
        Ok(AuthorizeOutcome::SignIn(started)) => {
            let secure = if provider.issuer().starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{COOKIE}={}; Path=/oidc/signin/{}; HttpOnly; SameSite=Lax; Max-Age=600{secure}",
                started.cookie, started.handle
            );
            let mut response = see_other(&format!("{SIGN_IN_PAGE}#{}", started.handle));
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => error_page(&error),
    }
}

/// An error the browser cannot be sent back with (unknown client, bad
/// redirect URI): told to the person, in both languages.
fn error_page(error: &OAuthError) -> Response {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>登录失败 Sign-in failed</title>\
         <link rel=\"stylesheet\" href=\"/assets/app.css\"><main><h1>登录请求无效 · Invalid sign-in request</h1>\
         <p>请返回原网站重试。Go back to the site and try again.</p><p class=\"hint\"><code>{}</code>: {}</p></main></html>",
        error.code.as_str(),
        escape(error.description)
    );
    (
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST),
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

async fn status(
    State(provider): State<Arc<Provider>>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Result<([(header::HeaderName, &'static str); 2], Json<SignInStatus>), OAuthError> {
    let status = provider.status(&handle, cookie(&headers).as_deref()).await?;
    Ok((no_store(), Json(status)))
}

async fn finish(State(provider): State<Arc<Provider>>, Path(handle): Path<String>, headers: HeaderMap) -> Response {
    match provider.finish(&handle, cookie(&headers).as_deref()).await {
        Ok(Some(location)) => see_other(&location),
        Ok(None) => (
            StatusCode::CONFLICT,
            no_store(),
            Json(json!({ "error": "pending", "error_description": "the sign-in is still running" })),
        )
            .into_response(),
        Err(error) => error_page(&error),
    }
}

/// Token endpoint: a code (with its PKCE verifier) for an ID token and an
/// access token; a code is accepted once.
#[utoipa::path(post, path = "/oidc/token", tag = "oidc",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    security(("basic" = [])),
    responses((status = 200, body = TokenResponse), (status = 400, body = OAuthErrorBody), (status = 401, body = OAuthErrorBody),
        (status = 403, body = OAuthErrorBody)))]
pub(crate) async fn token(State(provider): State<Arc<Provider>>, headers: HeaderMap, body: Bytes) -> Response {
    let result: Result<TokenResponse, OAuthError> = async {
        let (form, party, jkt) = client_post(&provider, "/oidc/token", &headers, &body).await?;
        provider.redeem(&party, &form, jkt).await
    }
    .await;
    match result {
        Ok(tokens) => (no_store(), Json(tokens)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The signed-in citizen's released claims, for the access token
/// (`Authorization: Bearer`, or `DPoP` with a proof).
#[utoipa::path(get, path = "/oidc/userinfo", tag = "oidc", security(("bearer" = [])),
    responses((status = 200, description = "Claims: sub and the released attributes", body = Object),
        (status = 400, body = OAuthErrorBody), (status = 401, body = OAuthErrorBody)))]
pub(crate) async fn userinfo(State(provider): State<Arc<Provider>>, method: axum::http::Method, headers: HeaderMap) -> Response {
    let result = async {
        let header = authorization(&headers).unwrap_or_default();
        if let Some(token) = header.strip_prefix("DPoP ") {
            let proof = dpop_header(&headers)?.ok_or(OAuthError::new(OAuthCode::InvalidDpopProof, "a DPoP token needs a DPoP proof"))?;
            let url = format!("{}/oidc/userinfo", provider.issuer());
            let jkt = provider.check_dpop(proof, method.as_str(), &url, Some(token.trim())).await?;
            provider.userinfo(token.trim(), Some(&jkt)).await
        } else if let Some(token) = header.strip_prefix("Bearer ") {
            provider.userinfo(token.trim(), None).await
        } else {
            Err(OAuthError::new(
                OAuthCode::InvalidToken,
                "send the access token as Authorization: Bearer (or DPoP)",
            ))
        }
    }
    .await;
    match result {
        Ok(claims) => (no_store(), Json(claims)).into_response(),
        Err(error) => error.into_response(),
    }
}
