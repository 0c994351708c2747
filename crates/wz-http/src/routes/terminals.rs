//! Trusted terminals: registration (operator) and the enrolment flow that
//! issues upgraded (L4) credentials.

use axum::extract::{Path, State};
use axum::Json;
use wz_core::{CardPresentation, ResultCode};
use wz_crypto::Sm2VerifyingKey;
use wz_proto::{
    BindEnrolmentRequest, BindEnrolmentResponse, CancelledEnrolmentResponse, CompleteEnrolmentRequest, CredentialResponse,
    EnrolledCredentialRequest, OpenEnrolmentResponse, RegisterTerminalRequest, TerminalResponse,
};
use wz_service::TerminalCompletion;

use super::credentials::{credential_response, image_bytes};
use crate::extract::{ApiJson, Signed};
use crate::{AdminScope, ApiError, AppState};

fn public_key(text: &str) -> Result<Sm2VerifyingKey, ApiError> {
    Sm2VerifyingKey::from_text(text, "terminal").map_err(|_| ApiError::new(ResultCode::InvalidRequest))
}

/// Registers a trusted terminal and its SM2 public key (operator).
#[utoipa::path(post, path = "/v1/admin/terminals", request_body = RegisterTerminalRequest, security(("bearer" = [])),
    responses((status = 200, body = TerminalResponse), (status = 400, body = wz_proto::ErrorBody), (status = 401, body = wz_proto::ErrorBody)))]
pub(crate) async fn register(
    State(app): State<AppState>,
    _admin: AdminScope,
    ApiJson(request): ApiJson<RegisterTerminalRequest>,
) -> Result<Json<TerminalResponse>, ApiError> {
    let key = public_key(&request.public_key)?;
    let row = app.services.credentials.register_terminal(&request.name, &key, "operator").await?;
    Ok(Json(TerminalResponse {
        id: row.id,
        name: row.name,
        key_id: key.key_id().as_str().to_owned(),
    }))
}

/// Opens an enrolment session and returns the QR payload to show (signed
/// by the terminal).
#[utoipa::path(post, path = "/v1/terminal/enrolments", responses((status = 200, body = OpenEnrolmentResponse), (status = 401, body = wz_proto::ErrorBody)))]
pub(crate) async fn open(State(app): State<AppState>, signed: Signed<serde_json::Value>) -> Result<Json<OpenEnrolmentResponse>, ApiError> {
    let opened = app.services.credentials.open_enrolment(signed.request()).await?;
    Ok(Json(OpenEnrolmentResponse {
        enrolment_id: opened.id,
        qr_payload: opened.qr_payload,
        expires_at_ms: opened.expires_at_ms,
    }))
}

/// The wallet scanned a terminal's code: binds its device key (signed by
/// the wallet).
#[utoipa::path(post, path = "/v1/wallet/enrolments", request_body = BindEnrolmentRequest,
    responses((status = 200, body = BindEnrolmentResponse), (status = 404, body = wz_proto::ErrorBody), (status = 409, body = wz_proto::ErrorBody)))]
pub(crate) async fn bind(
    State(app): State<AppState>,
    signed: Signed<BindEnrolmentRequest>,
) -> Result<Json<BindEnrolmentResponse>, ApiError> {
    let binding = app
        .services
        .credentials
        .bind_enrolment(signed.request(), &signed.value.qr_payload)
        .await?;
    Ok(Json(BindEnrolmentResponse {
        enrolment_id: binding.enrolment_id,
        terminal_name: binding.terminal_name,
    }))
}

/// Completes an enrolment: card, new password twice, face at the terminal;
/// issues the upgraded credential to the bound wallet (signed by the
/// terminal).
#[utoipa::path(post, path = "/v1/terminal/enrolments/{id}/complete", request_body = CompleteEnrolmentRequest,
    params(("id" = String, Path, description = "Enrolment id")),
    responses((status = 200, body = CredentialResponse), (status = 409, body = wz_proto::ErrorBody), (status = 422, body = wz_proto::ErrorBody)))]
pub(crate) async fn complete(
    State(app): State<AppState>,
    Path(id): Path<String>,
    signed: Signed<CompleteEnrolmentRequest>,
) -> Result<Json<CredentialResponse>, ApiError> {
    let value = &signed.value;
    let card: CardPresentation = serde_json::from_value(value.card.clone()).map_err(|_| ApiError::new(ResultCode::CardMalformed))?;
    let completion = TerminalCompletion {
        card,
        password: value.password.clone(),
        password_confirmation: value.password_confirmation.clone(),
        face: image_bytes(&value.face)?,
    };
    let credential = app
        .services
        .credentials
        .complete_enrolment(signed.request(), &id, completion)
        .await?;
    Ok(Json(credential_response(&app, &credential)))
}

/// Ends an enrolment without issuing (signed by the terminal that opened
/// it): the bound wallet is answered `enrolment_cancelled` from then on.
#[utoipa::path(post, path = "/v1/terminal/enrolments/{id}/cancel",
    params(("id" = String, Path, description = "Enrolment id")),
    responses((status = 200, body = CancelledEnrolmentResponse), (status = 401, body = wz_proto::ErrorBody), (status = 404, body = wz_proto::ErrorBody), (status = 409, body = wz_proto::ErrorBody)))]
pub(crate) async fn cancel(
    State(app): State<AppState>,
    Path(id): Path<String>,
    signed: Signed<serde_json::Value>,
) -> Result<Json<CancelledEnrolmentResponse>, ApiError> {
    app.services.credentials.cancel_enrolment(signed.request(), &id).await?;
    Ok(Json(CancelledEnrolmentResponse {
        enrolment_id: id,
        state: "cancelled".into(),
    }))
}

/// The credential an enrolment issued, for the wallet bound to it (signed).
#[utoipa::path(post, path = "/v1/wallet/enrolments/credential", request_body = EnrolledCredentialRequest,
    responses((status = 200, body = CredentialResponse), (status = 409, body = wz_proto::ErrorBody)))]
pub(crate) async fn enrolled(
    State(app): State<AppState>,
    signed: Signed<EnrolledCredentialRequest>,
) -> Result<Json<CredentialResponse>, ApiError> {
    let credential = app
        .services
        .credentials
        .enrolled_credential(signed.request(), &signed.value.enrolment_id)
        .await?;
    Ok(Json(credential_response(&app, &credential)))
}
