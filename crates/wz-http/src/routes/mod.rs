//! One module per resource; handlers are named after their action.

mod admin;
mod biometrics;
mod cards;
mod credentials;
mod keys;
mod openapi;
mod relying_parties;
mod sessions;
mod system;
mod terminals;
mod wallet;

pub use openapi::openapi_document;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use wz_core::ResultCode;

use crate::{ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(system::health))
        .route("/readyz", get(system::ready))
        .route("/metrics", get(system::metrics))
        .route("/v1/openapi.json", get(openapi::show))
        .route("/v1/keys", get(keys::list))
        .route("/v1/biometrics/rates", get(biometrics::rates))
        .route("/v1/cards/challenge", post(cards::challenge))
        .route("/v1/cards/read", post(cards::read))
        .route("/v1/admin/identities/status", post(admin::change_status))
        .route("/v1/admin/audit/verify", get(admin::verify_audit))
        .route("/v1/admin/terminals", post(terminals::register))
        .route("/v1/liveness/challenges", post(credentials::challenge))
        .route(
            "/v1/credentials/light",
            post(credentials::apply_light).layer(DefaultBodyLimit::max(credentials::LIGHT_BODY_LIMIT)),
        )
        .route("/v1/terminal/enrolments", post(terminals::open))
        .route(
            "/v1/terminal/enrolments/{id}/complete",
            post(terminals::complete).layer(DefaultBodyLimit::max(credentials::LIGHT_BODY_LIMIT)),
        )
        .route("/v1/terminal/enrolments/{id}/cancel", post(terminals::cancel))
        .route("/v1/wallet/enrolments", post(terminals::bind))
        .route("/v1/wallet/enrolments/credential", post(terminals::enrolled))
        .route("/v1/wallet/status", post(wallet::status))
        .route("/v1/wallet/password/check", post(wallet::check_password))
        .route("/v1/qr/verify", post(wallet::verify_qr))
        .route("/v1/admin/relying-parties", post(relying_parties::register))
        .route("/v1/admin/relying-parties/{id}", put(relying_parties::update))
        .route("/v1/admin/relying-parties/{id}/secret", post(relying_parties::rotate_secret))
        .route("/v1/admin/relying-parties/{id}/state", post(relying_parties::set_state))
        .route("/v1/relying-parties", get(relying_parties::list))
        .route(
            "/v1/authentications",
            post(relying_parties::authenticate).layer(DefaultBodyLimit::max(credentials::PORTRAIT_BODY_LIMIT)),
        )
        .route("/v1/wallet/history", post(relying_parties::history))
        .route("/v1/sessions", post(sessions::create))
        .route("/v1/sessions/{id}", get(sessions::show))
        .route("/v1/sessions/{id}/events", get(sessions::events))
        .route("/v1/sessions/{id}/cancel", post(sessions::cancel))
        .route("/v1/transactions", post(sessions::create_transaction))
        .route("/v1/transactions/{id}", get(sessions::show_transaction))
        .route("/v1/wallet/sessions/scan", post(sessions::scan))
        .route("/v1/wallet/sessions/{id}/consent", post(sessions::consent))
        .route("/v1/wallet/sessions/{id}/decline", post(sessions::decline))
        .route(
            "/v1/wallet/sessions/{id}/complete",
            post(sessions::complete).layer(DefaultBodyLimit::max(credentials::LIGHT_BODY_LIMIT)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> ApiError {
    ApiError::new(ResultCode::NotFound)
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ResultCode::MethodNotAllowed)
}
