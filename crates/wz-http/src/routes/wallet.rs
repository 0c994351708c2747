//! `/v1/wallet/*` and `/v1/qr/verify`: a wallet's requests about its own
//! credential, and verification of its QR codes.

use axum::extract::State;
use axum::Json;
use wz_core::ResultCode;
use wz_proto::{
    CredentialStatusRequest, CredentialStatusResponse, PasswordCheckRequest, PasswordCheckResponse, QrVerifyRequest, QrVerifyResponse,
};

use crate::extract::{RelyingPartyCall, Signed};
use crate::{ApiError, AppState};

/// The wallet's credential as the platform sees it (signed by the wallet).
#[utoipa::path(post, path = "/v1/wallet/status", request_body = CredentialStatusRequest,
    responses((status = 200, body = CredentialStatusResponse), (status = 401, body = wz_proto::ErrorBody)))]
pub(crate) async fn status(
    State(app): State<AppState>,
    signed: Signed<CredentialStatusRequest>,
) -> Result<Json<CredentialStatusResponse>, ApiError> {
    let view = app
        .services
        .credentials
        .credential_status(signed.request(), &signed.value.credential)
        .await?;
    Ok(Json(CredentialStatusResponse {
        serial: view.serial.to_hex(),
        level: view.level.as_str().into(),
        issued_at_ms: view.issued_at_ms,
        expires_at_ms: view.expires_at_ms,
        state: view.state.as_str().into(),
    }))
}

/// Checks the 8-digit card password (signed by the wallet). Wrong and
/// locked are results, with the attempts left or the lock's end.
#[utoipa::path(post, path = "/v1/wallet/password/check", request_body = PasswordCheckRequest,
    responses((status = 200, body = PasswordCheckResponse), (status = 422, body = wz_proto::ErrorBody)))]
pub(crate) async fn check_password(
    State(app): State<AppState>,
    signed: Signed<PasswordCheckRequest>,
) -> Result<Json<PasswordCheckResponse>, ApiError> {
    let result = app
        .services
        .credentials
        .check_password(signed.request(), &signed.value.credential, &signed.value.password)
        .await?;
    Ok(Json(PasswordCheckResponse {
        result: result.result.as_str().into(),
        remaining_attempts: result.remaining_attempts,
        locked_until_ms: result.locked_until_ms,
    }))
}

/// Verifies a wallet's dynamic QR code (二维码验码) for a relying party
/// (HTTP Basic, signed if it registered a key; modes `credential` or
/// `qr_verify`): signed by the credential's device, fresh (about 60 s),
/// unused, credential in force. Spending a code is attributable, and the
/// answer names the holder only by the caller's pairwise subject
/// (decision 20).
#[utoipa::path(post, path = "/v1/qr/verify", request_body = QrVerifyRequest, security(("basic" = [])),
    responses((status = 200, body = QrVerifyResponse), (status = 400, body = wz_proto::ErrorBody), (status = 401, body = wz_proto::ErrorBody),
        (status = 403, body = wz_proto::ErrorBody), (status = 422, body = wz_proto::ErrorBody)))]
pub(crate) async fn verify_qr(
    State(app): State<AppState>,
    call: RelyingPartyCall<QrVerifyRequest>,
) -> Result<Json<QrVerifyResponse>, ApiError> {
    let (verified, subject) = app.services.qr.verify_for_party(&call.client.row, &call.value.code).await?;
    Ok(Json(QrVerifyResponse {
        result: ResultCode::Success.as_str().into(),
        subject,
        level: verified.level.as_str().into(),
        credential_expires_at_ms: verified.credential_expires_at_ms,
    }))
}
