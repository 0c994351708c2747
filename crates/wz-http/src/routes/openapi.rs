//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{admin, biometrics, cards, credentials, keys, relying_parties, sessions, system, terminals, wallet};

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

/// Completes every operation with what the middleware and extractors do
/// to all of them, so the document cannot drift from the server: each
/// `{name}` in a path is a declared string parameter; an operation with a
/// body may answer 400, 413 and 415; one with `security`, or signed by a
/// wallet or terminal (the `x-wz-*` headers, declared here), may answer
/// 401. Schemathesis checks the result against the running server.
struct CommonResponses;

/// Routes whose requests a wallet or terminal signs (the `Signed` extractor).
fn signed_by_device(path: &str) -> bool {
    path.starts_with("/v1/wallet/") || path.starts_with("/v1/terminal/") || path == "/v1/credentials/light"
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
        )
        .build()
        .into()
}

fn string_parameter(name: &str, location: utoipa::openapi::path::ParameterIn, description: &str) -> utoipa::openapi::path::Parameter {
    use utoipa::openapi::path::ParameterBuilder;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::Required;
    ParameterBuilder::new()
        .name(name)
        .parameter_in(location)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names: Vec<&str> = path
                .split('/')
                .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            let signed = signed_by_device(path);
            for operation in [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch]
                .into_iter()
                .flatten()
            {
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                for name in &names {
                    if !parameters.iter().any(|p| p.name == *name && p.parameter_in == ParameterIn::Path) {
                        parameters.push(string_parameter(name, ParameterIn::Path, "identifier"));
                    }
                }
                if signed {
                    for (header, description) in [
                        ("x-wz-signer", "who signs: wallet:<key hex> or terminal:<id>"),
                        ("x-wz-timestamp", "Unix milliseconds, within 120 s of the server's clock"),
                        ("x-wz-nonce", "32 hex digits, single use"),
                        ("x-wz-signature", "SM2 signature over the request (docs/credential-format.md)"),
                    ] {
                        if !parameters.iter().any(|p| p.name == header) {
                            parameters.push(string_parameter(header, ParameterIn::Header, description));
                        }
                    }
                }
                if parameters.is_empty() {
                    operation.parameters = None;
                }
                let responses = &mut operation.responses.responses;
                let has_input = operation.request_body.is_some() || operation.parameters.is_some();
                if has_input {
                    responses
                        .entry("400".into())
                        .or_insert_with(|| error_response("invalid_request: malformed input"));
                }
                if operation.request_body.is_some() {
                    responses.entry("413".into()).or_insert_with(|| error_response("body_too_large"));
                    responses
                        .entry("415".into())
                        .or_insert_with(|| error_response("unsupported_media_type: the body must be application/json"));
                }
                if operation.security.is_some() || signed {
                    responses
                        .entry("401".into())
                        .or_insert_with(|| error_response("unauthorized, or the request signature is invalid or replayed"));
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "WangZheng (网证) API", version = "1", description = "Trusted online identity platform. Errors: {code, message, message_zh, request_id}; codes in docs/result-codes.md."),
    paths(
        system::health, system::ready, system::metrics, keys::list, biometrics::rates, cards::challenge, cards::read, admin::change_status, admin::verify_audit,
        terminals::register, credentials::challenge, credentials::apply_light, terminals::open, terminals::bind, terminals::complete, terminals::cancel,
        terminals::enrolled, wallet::status, wallet::check_password, wallet::verify_qr, relying_parties::register,
        relying_parties::update, relying_parties::rotate_secret, relying_parties::set_state, relying_parties::list,
        relying_parties::authenticate, relying_parties::history, sessions::create, sessions::show, sessions::events, sessions::cancel,
        sessions::create_transaction, sessions::show_transaction, sessions::scan, sessions::consent, sessions::decline, sessions::complete
    ),
    modifiers(&BearerAuth, &CommonResponses)
)]
struct ApiDoc;

/// The OpenAPI 3.1 document.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    // The provider's JSON endpoints (discovery, JWKS) live in wz-oidc and
    // are served beside the API.
    ApiDoc::openapi().merge_from(wz_oidc::OidcApi::openapi())
}

/// `GET /v1/openapi.json`.
pub(crate) async fn show() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi_document())
}
