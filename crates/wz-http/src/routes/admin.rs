//! `/v1/admin/*`: operator actions (bearer token).

use axum::extract::State;
use axum::Json;
use wz_core::{IdentityStatus, NationalIdNumber, ResultCode};
use wz_proto::{AuditVerifyResponse, ChangeStatusRequest, ChangeStatusResponse};

use crate::extract::ApiJson;
use crate::{AdminScope, ApiError, AppState};

/// Changes the registry status of a card (report lost, cancel, renew).
#[utoipa::path(post, path = "/v1/admin/identities/status", request_body = ChangeStatusRequest,
    responses((status = 200, body = ChangeStatusResponse), (status = 400, body = wz_proto::ErrorBody), (status = 401, body = wz_proto::ErrorBody),
              (status = 404, body = wz_proto::ErrorBody), (status = 409, body = wz_proto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn change_status(
    State(app): State<AppState>,
    _scope: AdminScope,
    ApiJson(request): ApiJson<ChangeStatusRequest>,
) -> Result<Json<ChangeStatusResponse>, ApiError> {
    let id_number = NationalIdNumber::parse(&request.id_number)?;
    let status = IdentityStatus::parse(&request.status).ok_or(ApiError::new(ResultCode::InvalidRequest))?;
    let entry = app
        .services
        .registry
        .change_status(&id_number, status, &request.reason, "operator")
        .await?;
    Ok(Json(ChangeStatusResponse {
        status: status.as_str().into(),
        audit_seq: entry.seq,
    }))
}

/// Verifies the whole audit chain and names the first broken link.
#[utoipa::path(get, path = "/v1/admin/audit/verify", responses((status = 200, body = AuditVerifyResponse), (status = 401, body = wz_proto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn verify_audit(State(app): State<AppState>, _scope: AdminScope) -> Result<Json<AuditVerifyResponse>, ApiError> {
    let report = app.services.audit.verify().await?;
    Ok(Json(AuditVerifyResponse {
        intact: report.first_break.is_none(),
        entries_checked: report.entries_checked,
        head_hash: report.head_hash,
        first_broken_seq: report.first_break.as_ref().map(|b| b.seq),
        reason: report.first_break.map(|b| b.reason.to_owned()),
    }))
}
