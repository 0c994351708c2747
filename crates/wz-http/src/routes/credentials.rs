//! `/v1/liveness/challenges`, `/v1/credentials/light`: light issuance.

use axum::extract::State;
use axum::Json;
use base64::Engine;
use wz_core::{Credential, ResultCode};
use wz_proto::{CredentialResponse, LightApplicationRequest, LivenessChallengeResponse};
use wz_service::{LightApplication, LiveSequence, SpeechLanguage, SpokenAudio};

use crate::extract::{ClientAddr, Signed};
use crate::{ApiError, AppState};

/// Largest request body of a light application (up to 30 frames).
pub(crate) const LIGHT_BODY_LIMIT: usize = 12 * 1024 * 1024;
/// Body limit of requests carrying one portrait (and a card).
pub(crate) const PORTRAIT_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Largest decoded frame.
const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// Standard base64 of an image, bounded.
pub(crate) fn image_bytes(text: &str) -> Result<Vec<u8>, ApiError> {
    if text.len() > MAX_FRAME_BYTES * 4 / 3 + 4 {
        return Err(ApiError::new(wz_core::ResultCode::InvalidImage));
    }
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| ApiError::new(wz_core::ResultCode::InvalidImage))
}

pub(crate) fn credential_response(app: &AppState, credential: &Credential) -> CredentialResponse {
    let body = credential.body();
    CredentialResponse {
        qr_key: hex::encode(app.services.credentials.qr_key(&body.serial)),
        credential: credential.to_text(),
        serial: body.serial.to_hex(),
        level: body.level.as_str().into(),
        issued_at_ms: body.issued_at * 1000,
        expires_at_ms: body.expires_at * 1000,
    }
}

/// The audio of a light application, decoded; a malformed one is refused
/// with `audio_invalid` before anything is checked.
fn spoken_audio(speech: &wz_proto::SpokenDigits) -> Result<SpokenAudio, ApiError> {
    let invalid = || ApiError::new(ResultCode::AudioInvalid);
    let wav = base64::engine::general_purpose::STANDARD
        .decode(speech.audio.as_bytes())
        .map_err(|_| invalid())?;
    let language = SpeechLanguage::parse(&speech.language).ok_or_else(invalid)?;
    Ok(SpokenAudio {
        wav,
        frame_times_ms: speech.frame_times_ms.clone(),
        language,
    })
}

/// A face sequence as the service takes it: frames and audio decoded, a
/// malformed one refused before anything is checked.
pub(crate) fn live_sequence(token: &str, frames: &[String], speech: Option<&wz_proto::SpokenDigits>) -> Result<LiveSequence, ApiError> {
    Ok(LiveSequence {
        challenge_token: token.to_owned(),
        frames: frames.iter().map(|f| image_bytes(f)).collect::<Result<Vec<_>, _>>()?,
        speech: speech.map(spoken_audio).transpose()?,
    })
}

/// Issues a liveness challenge: digits to read aloud and one action.
#[utoipa::path(post, path = "/v1/liveness/challenges", responses((status = 200, body = LivenessChallengeResponse)))]
pub(crate) async fn challenge(State(app): State<AppState>) -> Json<LivenessChallengeResponse> {
    let issued = app.services.credentials.liveness_challenge();
    Json(LivenessChallengeResponse {
        token: issued.token,
        digits: issued.challenge.digits,
        action: issued.challenge.action.as_str().into(),
        expires_at_ms: issued.challenge.expires_at_ms,
    })
}

/// Light issuance (L3): name, ID number and a live face sequence answering
/// a liveness challenge; signed by the wallet's device key, to which the
/// credential is bound.
#[utoipa::path(post, path = "/v1/credentials/light", request_body = LightApplicationRequest,
    responses((status = 200, body = CredentialResponse), (status = 400, body = wz_proto::ErrorBody), (status = 401, body = wz_proto::ErrorBody), (status = 422, body = wz_proto::ErrorBody), (status = 429, body = wz_proto::ErrorBody)))]
pub(crate) async fn apply_light(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    signed: Signed<LightApplicationRequest>,
) -> Result<Json<CredentialResponse>, ApiError> {
    let value = &signed.value;
    let application = LightApplication {
        id_number: value.id_number.clone(),
        name: value.name.clone(),
        sequence: live_sequence(&value.challenge_token, &value.frames, value.speech.as_ref())?,
    };
    let credential = app.services.credentials.apply_light(signed.request(), application, client).await?;
    Ok(Json(credential_response(&app, &credential)))
}
