//! HTTP layer of WangZheng: axum routers, extractors, thin handlers, the one
//! `ApiError` that knows status codes, request ids, metrics and the OpenAPI
//! document. Handlers extract, call one service method and convert.
//!
//! Must not contain SQL or domain rules, and must not depend on a store
//! implementation or the binary.

mod envelope;
mod error;
mod extract;
mod floor;
mod metrics;
mod routes;

pub use error::ApiError;
pub use extract::{AdminScope, AdminToken};
pub use floor::{floor_router, serve_floor};
pub use metrics::{process_cpu_seconds, thread_cpu_seconds, Metrics};
pub use routes::openapi_document;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use wz_service::Services;

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Longest a request may run.
    pub request_timeout: Duration,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Use cases, behind one `Arc`: axum clones the state for every
    /// request, and a clone of `Services` was nine services' worth of
    /// reference counts (a tenth of the server's CPU per QR code, issue #19).
    pub services: Arc<Services>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Operator bearer token (digest).
    pub admin_token: Arc<AdminToken>,
    /// Set while the instance drains before it stops: `/readyz` answers
    /// 503 so load balancers send it no new requests.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

/// The complete router with its middleware stack.
pub fn router(state: AppState, limits: HttpLimits) -> Router {
    router_with(state, limits, Router::new())
}

/// [`router`] with `extra` routes (web pages, demo helpers) behind the same
/// middleware: request ids, limits, metrics.
pub fn router_with(state: AppState, limits: HttpLimits, extra: Router) -> Router {
    let metrics = Arc::clone(&state.metrics);
    routes::routes()
        .with_state(state)
        .merge(extra)
        .layer(DefaultBodyLimit::max(limits.body_limit_bytes))
        .layer(axum::middleware::from_fn_with_state(metrics, envelope::envelope))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            limits.request_timeout,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}
