//! `POST /v1/cards/*`: reading a simulated ID card.

use axum::extract::State;
use axum::Json;
use wz_core::{CardPresentation, ResultCode};
use wz_proto::{CardChallengeResponse, ReadCardRequest, ReadCardResponse};

use crate::extract::ApiJson;
use crate::{ApiError, AppState};

/// Issues a challenge for a card chip to sign (valid 60 s).
#[utoipa::path(post, path = "/v1/cards/challenge", responses((status = 200, body = CardChallengeResponse)))]
pub(crate) async fn challenge(State(app): State<AppState>) -> Json<CardChallengeResponse> {
    let challenge = app.services.cards.challenge();
    Json(CardChallengeResponse {
        nonce: challenge.nonce,
        expires_at: challenge.expires_at,
        mac: challenge.mac,
    })
}

/// Verifies a card presentation (authority signature, chip answer) and the
/// card's registry status.
#[utoipa::path(post, path = "/v1/cards/read", request_body = ReadCardRequest,
    responses((status = 200, body = ReadCardResponse), (status = 400, body = wz_proto::ErrorBody), (status = 422, body = wz_proto::ErrorBody)))]
pub(crate) async fn read(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<ReadCardRequest>,
) -> Result<Json<ReadCardResponse>, ApiError> {
    let presentation: CardPresentation =
        serde_json::from_value(request.presentation).map_err(|_| ApiError::new(ResultCode::CardMalformed))?;
    let outcome = app.services.cards.read(&presentation, "reader").await?;
    Ok(Json(ReadCardResponse {
        result: ResultCode::Success.as_str().into(),
        card_serial: outcome.card_serial,
        masked_name: outcome.masked_name,
        masked_id_number: outcome.masked_id_number,
        validity: outcome.validity,
        status: outcome.status.as_str().into(),
    }))
}
