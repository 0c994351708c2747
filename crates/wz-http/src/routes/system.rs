//! Health, readiness and metrics.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use wz_core::ResultCode;
use wz_proto::HealthResponse;

use crate::{ApiError, AppState};

/// Liveness: the process serves requests.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = HealthResponse)))]
pub(crate) async fn health() -> Json<HealthResponse> {
    Json(HealthResponse { status: "ok".into() })
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", responses((status = 200, body = HealthResponse), (status = 503, body = wz_proto::ErrorBody)))]
pub(crate) async fn ready(State(app): State<AppState>) -> Result<Json<HealthResponse>, ApiError> {
    if app.draining.load(std::sync::atomic::Ordering::Acquire) {
        return Err(ApiError::new(ResultCode::ServiceUnavailable));
    }
    app.services.context.store.ping().await.map_err(|error| {
        tracing::warn!(error = &error as &dyn std::error::Error, "readiness check failed");
        ApiError::new(ResultCode::ServiceUnavailable)
    })?;
    Ok(Json(HealthResponse { status: "ok".into() }))
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format")))]
pub(crate) async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        app.metrics.render(),
    )
}
