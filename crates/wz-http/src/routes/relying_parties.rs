//! Relying parties: registration and changes (operator), the public list,
//! server-to-server authentication, and the citizen's usage history.

use axum::extract::{Path, State};
use axum::Json;
use wz_core::{Attribute, AuthMode, CardPresentation, ResultAlg, ResultCode, RpCategory};
use wz_proto::{
    AuthenticationRequest, AuthenticationResponse, HistoryEntry, RegisteredRelyingParty, RelyingPartyList, RelyingPartyRequest,
    RelyingPartyResponse, RelyingPartyStateRequest, SignedResult, WalletHistoryRequest, WalletHistoryResponse,
};
use wz_service::{AuthRequest, RelyingPartyRow, RelyingPartySpec};

use super::credentials::image_bytes;
use crate::extract::{ApiJson, RelyingPartyCall, Signed};
use crate::{AdminScope, ApiError, AppState};

fn invalid() -> ApiError {
    ApiError::new(ResultCode::InvalidRequest)
}

fn parse_alg(text: Option<&str>) -> Result<Option<ResultAlg>, ApiError> {
    match text {
        None => Ok(None),
        Some("SM2") => Ok(Some(ResultAlg::Sm2)),
        Some("ES256") => Ok(Some(ResultAlg::Es256)),
        Some(_) => Err(invalid()),
    }
}

fn spec(request: RelyingPartyRequest) -> Result<RelyingPartySpec, ApiError> {
    Ok(RelyingPartySpec {
        name: request.name,
        category: RpCategory::parse(&request.category).ok_or_else(invalid)?,
        modes: request
            .modes
            .iter()
            .map(|m| AuthMode::parse(m).ok_or_else(invalid))
            .collect::<Result<_, _>>()?,
        grants: request
            .grants
            .iter()
            .map(|a| Attribute::parse(a).ok_or_else(invalid))
            .collect::<Result<_, _>>()?,
        webhook_url: request.webhook_url,
        public_key: request.public_key,
        alg: parse_alg(request.alg.as_deref())?.unwrap_or(ResultAlg::Sm2),
        oidc: request.oidc.map(oidc_settings).transpose()?,
    })
}

fn oidc_settings(settings: wz_proto::OidcClientSettings) -> Result<wz_core::OidcClient, ApiError> {
    let id_token_alg = match settings.id_token_signed_response_alg.as_deref() {
        None => wz_core::IdTokenAlg::default(),
        Some(text) => wz_core::IdTokenAlg::parse(text).ok_or_else(invalid)?,
    };
    Ok(wz_core::OidcClient {
        redirect_uris: settings.redirect_uris,
        jwks: settings.jwks.map(|value| value.to_string()),
        id_token_alg,
        access_token_seconds: settings
            .access_token_lifetime_seconds
            .unwrap_or(wz_core::oidc_client::DEFAULT_ACCESS_TOKEN_SECONDS),
    })
}

fn oidc_view(settings: wz_core::OidcClient) -> wz_proto::OidcClientSettings {
    wz_proto::OidcClientSettings {
        redirect_uris: settings.redirect_uris,
        jwks: settings.jwks.and_then(|text| serde_json::from_str(&text).ok()),
        id_token_signed_response_alg: Some(settings.id_token_alg.as_str().to_owned()),
        access_token_lifetime_seconds: Some(settings.access_token_seconds),
    }
}

fn response(row: RelyingPartyRow) -> RelyingPartyResponse {
    RelyingPartyResponse {
        id: row.id,
        name: row.name,
        category: row.category,
        modes: row.modes,
        grants: row.grants,
        webhook: row.webhook_url.is_some(),
        public_key: row.public_key.map(hex::encode),
        alg: row.alg,
        active: row.active,
        created_at_ms: row.created_at_ms,
        updated_at_ms: row.updated_at_ms,
        oidc: row.oidc.map(oidc_view),
    }
}

/// Registers a relying party; the client secret is in this answer only (operator).
#[utoipa::path(post, path = "/v1/admin/relying-parties", request_body = RelyingPartyRequest, security(("bearer" = [])),
    responses((status = 200, body = RegisteredRelyingParty), (status = 400, body = wz_proto::ErrorBody), (status = 401, body = wz_proto::ErrorBody)))]
pub(crate) async fn register(
    State(app): State<AppState>,
    _admin: AdminScope,
    ApiJson(request): ApiJson<RelyingPartyRequest>,
) -> Result<Json<RegisteredRelyingParty>, ApiError> {
    let registered = app.services.relying_parties.register(&spec(request)?, "operator").await?;
    Ok(Json(RegisteredRelyingParty {
        relying_party: response(registered.row),
        client_secret: registered.secret,
    }))
}

/// Changes a registration: name, category, modes, grants, webhook, key (operator).
#[utoipa::path(put, path = "/v1/admin/relying-parties/{id}", request_body = RelyingPartyRequest, security(("bearer" = [])),
    responses((status = 200, body = RelyingPartyResponse), (status = 400, body = wz_proto::ErrorBody), (status = 404, body = wz_proto::ErrorBody)))]
pub(crate) async fn update(
    State(app): State<AppState>,
    _admin: AdminScope,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RelyingPartyRequest>,
) -> Result<Json<RelyingPartyResponse>, ApiError> {
    let row = app.services.relying_parties.update(&id, &spec(request)?, "operator").await?;
    Ok(Json(response(row)))
}

/// Issues a new client secret; the old one stops working (operator).
#[utoipa::path(post, path = "/v1/admin/relying-parties/{id}/secret", security(("bearer" = [])),
    responses((status = 200, body = RegisteredRelyingParty), (status = 404, body = wz_proto::ErrorBody)))]
pub(crate) async fn rotate_secret(
    State(app): State<AppState>,
    _admin: AdminScope,
    Path(id): Path<String>,
) -> Result<Json<RegisteredRelyingParty>, ApiError> {
    let registered = app.services.relying_parties.rotate_secret(&id, "operator").await?;
    Ok(Json(RegisteredRelyingParty {
        relying_party: response(registered.row),
        client_secret: registered.secret,
    }))
}

/// Suspends or reinstates a relying party (operator).
#[utoipa::path(post, path = "/v1/admin/relying-parties/{id}/state", request_body = RelyingPartyStateRequest, security(("bearer" = [])),
    responses((status = 200, body = RelyingPartyResponse), (status = 404, body = wz_proto::ErrorBody)))]
pub(crate) async fn set_state(
    State(app): State<AppState>,
    _admin: AdminScope,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RelyingPartyStateRequest>,
) -> Result<Json<RelyingPartyResponse>, ApiError> {
    let row = app.services.relying_parties.set_active(&id, request.active, "operator").await?;
    Ok(Json(response(row)))
}

/// Every registered relying party and what it may receive (public).
#[utoipa::path(get, path = "/v1/relying-parties", responses((status = 200, body = RelyingPartyList)))]
pub(crate) async fn list(State(app): State<AppState>) -> Result<Json<RelyingPartyList>, ApiError> {
    let rows = app.services.relying_parties.list().await?;
    Ok(Json(RelyingPartyList {
        relying_parties: rows.into_iter().map(response).collect(),
    }))
}

/// Authenticates a person in one of the nine modes; the answer is signed
/// (HTTP Basic as the relying party). Authentication outcomes, failures
/// included, are 200 with their code in `result`; errors in the request
/// itself are error bodies.
#[utoipa::path(post, path = "/v1/authentications", request_body = AuthenticationRequest, security(("basic" = [])),
    responses((status = 200, body = AuthenticationResponse), (status = 400, body = wz_proto::ErrorBody),
        (status = 401, body = wz_proto::ErrorBody), (status = 403, body = wz_proto::ErrorBody), (status = 429, body = wz_proto::ErrorBody)))]
pub(crate) async fn authenticate(
    State(app): State<AppState>,
    call: RelyingPartyCall<AuthenticationRequest>,
) -> Result<Json<AuthenticationResponse>, ApiError> {
    let (client, request) = (call.client, call.value);
    let card = match request.card {
        None => None,
        Some(value) => Some(serde_json::from_value::<CardPresentation>(value).map_err(|_| ApiError::new(ResultCode::CardMalformed))?),
    };
    let input = AuthRequest {
        mode: Some(AuthMode::parse(&request.mode).ok_or_else(invalid)?),
        purpose: request.purpose,
        attributes: request
            .attributes
            .iter()
            .map(|a| Attribute::parse(a).ok_or_else(invalid))
            .collect::<Result<_, _>>()?,
        alg: parse_alg(request.alg.as_deref())?,
        id_number: request.id_number,
        name: request.name,
        validity: request.validity,
        portrait: request.portrait.as_deref().map(image_bytes).transpose()?,
        // The RP's own camera took the portrait: liveness is proved only
        // through the wallet (sessions).
        live: None,
        code: request.code,
        password: request.password,
        card,
    };
    let signed = app
        .services
        .authentication
        .authenticate(&client.row, &client.request_id, input)
        .await?;
    let response = authentication_response(&signed)?;
    app.metrics.authentication("direct", &response.result);
    Ok(Json(response))
}

/// The readable answer with its signed form.
pub(crate) fn authentication_response(signed: &wz_core::SignedStatement) -> Result<AuthenticationResponse, ApiError> {
    let statement = signed_statement(signed)?;
    Ok(AuthenticationResponse {
        result: statement.result,
        level: statement.level,
        subject: statement.subject,
        attributes: statement.attributes,
        request_id: statement.request_id,
        issued_at_ms: statement.issued_at_ms,
        signed: SignedResult {
            alg: match signed.alg {
                ResultAlg::Sm2 => "SM2".into(),
                ResultAlg::Es256 => "ES256".into(),
            },
            key_id: signed.key_id.clone(),
            payload: signed.payload.clone(),
            signature: signed.signature.clone(),
            index: signed.index,
            path: signed.path.clone(),
        },
    })
}

/// The statement inside a result this server just signed.
fn signed_statement(signed: &wz_core::SignedStatement) -> Result<wz_core::AuthStatement, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&signed.payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(ApiError::new(ResultCode::InternalError))
}

/// Where the holder's identity was used, newest first (signed by the wallet).
#[utoipa::path(post, path = "/v1/wallet/history", request_body = WalletHistoryRequest,
    responses((status = 200, body = WalletHistoryResponse), (status = 401, body = wz_proto::ErrorBody)))]
pub(crate) async fn history(
    State(app): State<AppState>,
    signed: Signed<WalletHistoryRequest>,
) -> Result<Json<WalletHistoryResponse>, ApiError> {
    let uses = app.services.credentials.history(signed.request(), &signed.value.credential).await?;
    let parties = app.services.relying_parties.list().await?;
    let entries = uses
        .into_iter()
        .map(|entry| {
            let party = parties.iter().find(|p| p.id == entry.rp_id);
            HistoryEntry {
                at_ms: entry.at_ms,
                rp_name: party.map(|p| p.name.clone()).unwrap_or_default(),
                rp_category: party.map(|p| p.category.clone()).unwrap_or_default(),
                rp_id: entry.rp_id,
                mode: entry.mode,
                purpose: entry.purpose,
                result: entry.result,
                released: entry.released,
            }
        })
        .collect();
    Ok(Json(WalletHistoryResponse { entries }))
}
