//! The demo relying party: a small website ("示例网站") that signs a
//! visitor in with WangZheng's OpenID Connect provider, so the demo shows
//! the whole loop an integrator builds. It is deliberately written the way
//! an outside website would be: it knows only the issuer URL and its own
//! client id and secret, and all of the protocol (discovery, PKCE, nonce,
//! the code exchange, ID token signature and claim checks, userinfo) is the
//! `openidconnect` crate's, not ours.
//!
//! `wz serve --demo` starts it as a separate process (`wz demo-rp`), which
//! ends when its standard input closes, that is when the server that
//! started it is gone.

mod pages;
mod signin;

pub use signin::{DemoRp, DemoRpConfig, DemoRpError, SignedIn};

use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

/// Cookie naming the visitor's pending sign-in or signed-in page.
const COOKIE: &str = "wz_demo_rp";

/// The website's routes: `/` (sign-in button or the signed-in citizen),
/// `/login?level=L3`, `/callback` (the registered redirect URI), `/logout`.
pub fn router(rp: DemoRp) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/logout", get(logout))
        .with_state(rp)
}

/// Serves the website on `listener` until `stop` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    rp: DemoRp,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(rp)).with_graceful_shutdown(stop).await
}

fn cookie_of(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE)
}

/// The value of cookie `name` in a request's `Cookie` header.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let header = headers.get(axum::http::header::COOKIE)?.to_str().ok()?;
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

fn set_cookie(value: &str) -> String {
    format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax")
}

async fn home(State(rp): State<DemoRp>, headers: HeaderMap) -> Response {
    let signed_in = cookie_of(&headers).and_then(|key| rp.signed_in(&key));
    no_store(Html(pages::home(signed_in.as_ref())).into_response())
}

#[derive(Deserialize)]
struct LoginQuery {
    level: Option<String>,
}

async fn login(State(rp): State<DemoRp>, Query(query): Query<LoginQuery>) -> Response {
    let level = query.level.unwrap_or_else(|| "L3".into());
    match rp.begin(&level).await {
        Ok((key, url)) => no_store((StatusCode::SEE_OTHER, [(LOCATION, url), (SET_COOKIE, set_cookie(&key))]).into_response()),
        Err(error) => failed(&error),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(State(rp): State<DemoRp>, headers: HeaderMap, Query(query): Query<CallbackQuery>) -> Response {
    let Some(key) = cookie_of(&headers) else {
        return failed(&DemoRpError::NoPendingSignIn);
    };
    if let Some(error) = query.error {
        rp.forget(&key);
        let description = query.error_description.unwrap_or_default();
        return failed(&DemoRpError::Refused(format!("{error}: {description}")));
    }
    let (Some(code), Some(state)) = (query.code, query.state) else {
        return failed(&DemoRpError::Refused("the provider sent neither a code nor an error".into()));
    };
    match rp.finish(&key, &code, &state, query.iss.as_deref()).await {
        Ok(()) => no_store((StatusCode::SEE_OTHER, [(LOCATION, "/")]).into_response()),
        Err(error) => failed(&error),
    }
}

async fn logout(State(rp): State<DemoRp>, headers: HeaderMap) -> Response {
    if let Some(key) = cookie_of(&headers) {
        rp.forget(&key);
    }
    no_store((StatusCode::SEE_OTHER, [(LOCATION, "/")]).into_response())
}

fn failed(error: &DemoRpError) -> Response {
    tracing::info!(%error, "demo relying party: sign-in failed");
    let status = match error {
        DemoRpError::Provider(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::BAD_REQUEST,
    };
    no_store((status, Html(pages::failed(&error.to_string()))).into_response())
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    response
}
