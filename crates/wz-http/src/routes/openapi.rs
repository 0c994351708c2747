//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{admin, cards, credentials, keys, relying_parties, sessions, system, terminals, wallet};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
            components.add_security_scheme(
                "basic",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "WangZheng (网证) API", version = "1", description = "Trusted online identity platform. Errors: {code, message, message_zh, request_id}; codes in docs/result-codes.md."),
    paths(
        system::health, system::ready, system::metrics, keys::list, cards::challenge, cards::read, admin::change_status, admin::verify_audit,
        terminals::register, credentials::challenge, credentials::apply_light, terminals::open, terminals::bind, terminals::complete,
        terminals::enrolled, wallet::status, wallet::check_password, wallet::verify_qr, relying_parties::register,
        relying_parties::update, relying_parties::rotate_secret, relying_parties::set_state, relying_parties::list,
        relying_parties::authenticate, relying_parties::history, sessions::create, sessions::show, sessions::events, sessions::cancel,
        sessions::create_transaction, sessions::show_transaction, sessions::scan, sessions::consent, sessions::decline, sessions::complete
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// The OpenAPI 3.1 document.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /v1/openapi.json`.
pub(crate) async fn show() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi_document())
}
