//! The provider's HTTP endpoints: thin handlers over [`Provider`]. Forms
//! and queries are read as raw pairs so that a repeated parameter is an
//! error (RFC 6749 §3.1), not a silent pick.

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
        .with_state(provider)
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
pub(crate) async fn discovery(State(provider): State<Provider>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(metadata(provider.issuer())))
}

/// The keys ID tokens are signed with (ES256 and SM2).
#[utoipa::path(get, path = "/oidc/jwks", tag = "oidc", responses((status = 200, description = "JWK Set", body = Object)))]
pub(crate) async fn keys(State(provider): State<Provider>) -> impl IntoResponse {
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

async fn par(State(provider): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let (form, party, jkt) = client_post(&provider, "/oidc/par", &headers, &body).await?;
        provider.push(&party, &form, jkt).await
    }
    .await;
    match result {
        Ok((request_uri, expires_in)) => (
            StatusCode::CREATED,
            no_store(),
            Json(json!({ "request_uri": request_uri, "expires_in": expires_in })),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

async fn authorize(State(provider): State<Provider>, RawQuery(query): RawQuery) -> Response {
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
    State(provider): State<Provider>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Result<([(header::HeaderName, &'static str); 2], Json<SignInStatus>), OAuthError> {
    let status = provider.status(&handle, cookie(&headers).as_deref()).await?;
    Ok((no_store(), Json(status)))
}

async fn finish(State(provider): State<Provider>, Path(handle): Path<String>, headers: HeaderMap) -> Response {
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

async fn token(State(provider): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
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

async fn userinfo(State(provider): State<Provider>, method: axum::http::Method, headers: HeaderMap) -> Response {
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
