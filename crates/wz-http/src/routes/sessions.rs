//! Authentication sessions: the RP's side (open, watch by long-poll or
//! server-sent events, cancel; multi-party transactions) and the wallet's
//! (scan, consent, decline, complete).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use wz_core::{session_frame, unix_ms, Attribute, AuthMode, ResultCode, SessionState};
use wz_proto::{
    AuthenticationResponse, CompleteSessionRequest, CreateSessionRequest, CreateTransactionRequest, CreatedSession, CreatedTransaction,
    Invitation, ScanSessionRequest, ScannedSessionResponse, SessionStatus, TransactionStatus,
};
use wz_service::{AuthRequest, Change, SessionRow, SessionService, SessionSpec, MAX_INVITATION_SECONDS, MAX_WINDOW_SECONDS};

use super::credentials::image_bytes;
use super::relying_parties::authentication_response;
use crate::extract::{RelyingPartyCall, RelyingPartyClient, Signed};
use crate::{ApiError, AppState};

fn invalid() -> ApiError {
    ApiError::new(ResultCode::InvalidRequest)
}

fn spec(mode: &str, purpose: String, attributes: &[String], expires: u32) -> Result<SessionSpec, ApiError> {
    Ok(SessionSpec {
        mode: AuthMode::parse(mode).ok_or_else(invalid)?,
        purpose,
        attributes: attributes
            .iter()
            .map(|a| Attribute::parse(a).ok_or_else(invalid))
            .collect::<Result<_, _>>()?,
        expires_in_seconds: expires,
    })
}

/// The RP's view of a session.
fn status(app: &AppState, row: &SessionRow) -> Result<SessionStatus, ApiError> {
    let result = match app.services.sessions.result_of(row)? {
        Some(signed) => Some(authentication_response(&signed)?),
        None => None,
    };
    Ok(SessionStatus {
        session_id: row.id.clone(),
        state: app.services.sessions.state_of(row).as_str().to_owned(),
        mode: row.mode.clone(),
        purpose: row.purpose.clone(),
        transaction_id: row.transaction_id.clone(),
        label: row.label.clone(),
        expires_at_ms: row.expires_at_ms,
        result,
    })
}

/// Opens a service-window session; draw its rotating QR code from the
/// secret (HTTP Basic as the RP).
#[utoipa::path(post, path = "/v1/sessions", request_body = CreateSessionRequest, security(("basic" = [])),
    responses((status = 200, body = CreatedSession), (status = 400, body = wz_proto::ErrorBody), (status = 403, body = wz_proto::ErrorBody)))]
pub(crate) async fn create(
    State(app): State<AppState>,
    call: RelyingPartyCall<CreateSessionRequest>,
) -> Result<Json<CreatedSession>, ApiError> {
    let (client, request) = (call.client, call.value);
    let expires = request.expires_in_seconds.unwrap_or(MAX_WINDOW_SECONDS);
    let spec = spec(&request.mode, request.purpose, &request.attributes, expires)?;
    let row = app.services.sessions.create(&client.row, &spec).await?;
    Ok(Json(CreatedSession {
        frame: session_frame(&row.secret, &row.id, unix_ms(app.services.context.clock.now())),
        secret: hex::encode(row.secret),
        session_id: row.id,
        expires_at_ms: row.expires_at_ms,
    }))
}

/// `?wait=SECONDS&after=STATE`: long-poll until the state differs from
/// `after` (at most 30 s).
#[derive(Debug, Deserialize)]
pub(crate) struct WaitQuery {
    wait: Option<u64>,
    after: Option<String>,
}

/// A session's state and, once completed, its signed result; long-polls
/// with `wait` (HTTP Basic as the RP; another RP's session is not found).
#[utoipa::path(get, path = "/v1/sessions/{id}", security(("basic" = [])),
    params(("wait" = Option<u64>, Query, description = "seconds to wait for a change"), ("after" = Option<String>, Query, description = "the state already seen")),
    responses((status = 200, body = SessionStatus), (status = 404, body = wz_proto::ErrorBody)))]
pub(crate) async fn show(
    State(app): State<AppState>,
    client: RelyingPartyClient,
    Path(id): Path<String>,
    Query(query): Query<WaitQuery>,
) -> Result<Json<SessionStatus>, ApiError> {
    let sessions = &app.services.sessions;
    // Subscribed before the first read, so no change falls in between.
    let mut changes = sessions.feed().subscribe();
    let row = sessions.find_for(&client.row, &id).await?;
    let seen = query.after.as_deref().unwrap_or("");
    let wait = Duration::from_secs(query.wait.unwrap_or(0).min(30));
    if sessions.state_of(&row).as_str() != seen || wait.is_zero() {
        return Ok(Json(status(&app, &row)?));
    }
    let _permit = sessions.watch_permit(&client.row)?;
    let deadline = tokio::time::Instant::now() + wait.min(until_expiry(&app, &row));
    let row = changed_from(&app, &client, row, seen, &mut changes, deadline).await?;
    Ok(Json(status(&app, &row)?))
}

/// Time left until a second after the session expires (when its state is
/// final whatever happens).
fn until_expiry(app: &AppState, row: &SessionRow) -> Duration {
    let left = row.expires_at_ms - unix_ms(app.services.context.clock.now()) + 1_000;
    Duration::from_millis(u64::try_from(left).unwrap_or(0))
}

/// Waits until the session's state is no longer `seen` or `deadline`
/// passes, and returns the row as it then is. Announcements come from the
/// session feed (this instance's changes at once, other instances' through
/// its change source); one for this session, a resync or a lag means a
/// re-read. While the feed is not live the row is re-read every second, so
/// a change is at worst found late, never missed.
async fn changed_from(
    app: &AppState,
    client: &RelyingPartyClient,
    mut row: SessionRow,
    seen: &str,
    changes: &mut tokio::sync::broadcast::Receiver<Change>,
    deadline: tokio::time::Instant,
) -> Result<SessionRow, ApiError> {
    let sessions = &app.services.sessions;
    while sessions.state_of(&row).as_str() == seen {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            // One last read: an announcement lost on a connection that
            // died silently must not leave the answer stale.
            row = sessions.find_for(&client.row, &row.id).await?;
            break;
        }
        let until = if sessions.feed().is_live() {
            deadline
        } else {
            deadline.min(now + Duration::from_secs(1))
        };
        match tokio::time::timeout_at(until, changes.recv()).await {
            Ok(Ok(Change::Session(other))) if other != row.id => continue,
            Ok(Err(RecvError::Closed)) => break,
            // This session's announcement, a resync, a lag or a poll.
            _ => row = sessions.find_for(&client.row, &row.id).await?,
        }
    }
    Ok(row)
}

/// Server-sent events of a session: one `state` event now and one per
/// change, the last carrying the signed result; the stream ends at a final
/// state (HTTP Basic as the RP).
#[utoipa::path(get, path = "/v1/sessions/{id}/events", security(("basic" = [])),
    responses((status = 200, description = "text/event-stream of SessionStatus"), (status = 404, body = wz_proto::ErrorBody)))]
pub(crate) async fn events(
    State(app): State<AppState>,
    client: RelyingPartyClient,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let changes = app.services.sessions.feed().subscribe();
    let row = app.services.sessions.find_for(&client.row, &id).await?;
    // Held by the stream: given back when it ends or the client goes away.
    let permit = app.services.sessions.watch_permit(&client.row)?;
    let deadline = tokio::time::Instant::now() + until_expiry(&app, &row);
    // (row to report, state already reported, whether the last was final)
    let state = (app, client, changes, row, None::<String>, false);
    let stream = stream::unfold(state, move |(app, client, mut changes, row, reported, done)| async move {
        if done {
            return None;
        }
        let row = match &reported {
            None => row,
            Some(seen) => changed_from(&app, &client, row, seen, &mut changes, deadline).await.ok()?,
        };
        let next = status(&app, &row).ok()?;
        let finished = SessionState::parse(&next.state).is_some_and(SessionState::is_final) || tokio::time::Instant::now() >= deadline;
        let event = Event::default().event("state").json_data(&next).ok()?;
        Some((Ok(event), (app, client, changes, row, Some(next.state), finished)))
    });
    let stream = stream.map(move |event| {
        let _held = &permit;
        event
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Withdraws an unfinished session (HTTP Basic as the RP).
#[utoipa::path(post, path = "/v1/sessions/{id}/cancel", security(("basic" = [])),
    responses((status = 200, body = SessionStatus), (status = 404, body = wz_proto::ErrorBody), (status = 409, body = wz_proto::ErrorBody)))]
pub(crate) async fn cancel(
    State(app): State<AppState>,
    client: RelyingPartyClient,
    Path(id): Path<String>,
) -> Result<Json<SessionStatus>, ApiError> {
    let row = app.services.sessions.cancel(&client.row, &id).await?;
    Ok(Json(status(&app, &row)?))
}

/// Opens a multi-party transaction: one invitation per participant, to
/// deliver through the RP's own channel (HTTP Basic as the RP).
#[utoipa::path(post, path = "/v1/transactions", request_body = CreateTransactionRequest, security(("basic" = [])),
    responses((status = 200, body = CreatedTransaction), (status = 400, body = wz_proto::ErrorBody)))]
pub(crate) async fn create_transaction(
    State(app): State<AppState>,
    call: RelyingPartyCall<CreateTransactionRequest>,
) -> Result<Json<CreatedTransaction>, ApiError> {
    let (client, request) = (call.client, call.value);
    let expires = request.expires_in_seconds.unwrap_or(MAX_INVITATION_SECONDS);
    let spec = spec(&request.mode, request.purpose, &request.attributes, expires)?;
    let (id, rows) = app
        .services
        .sessions
        .create_transaction(&client.row, &spec, &request.participants)
        .await?;
    Ok(Json(CreatedTransaction {
        transaction_id: id,
        participants: rows
            .iter()
            .map(|row| Invitation {
                label: row.label.clone().unwrap_or_default(),
                session_id: row.id.clone(),
                invitation: SessionService::invitation(row),
            })
            .collect(),
    }))
}

/// A transaction: each participant's state and the whole (HTTP Basic as the RP).
#[utoipa::path(get, path = "/v1/transactions/{id}", security(("basic" = [])),
    responses((status = 200, body = TransactionStatus), (status = 404, body = wz_proto::ErrorBody)))]
pub(crate) async fn show_transaction(
    State(app): State<AppState>,
    client: RelyingPartyClient,
    Path(id): Path<String>,
) -> Result<Json<TransactionStatus>, ApiError> {
    let rows = app.services.sessions.transaction_for(&client.row, &id).await?;
    let participants: Vec<SessionStatus> = rows.iter().map(|row| status(&app, row)).collect::<Result<_, _>>()?;
    let finished = participants
        .iter()
        .all(|p| SessionState::parse(&p.state).is_some_and(SessionState::is_final));
    let succeeded = participants
        .iter()
        .all(|p| p.result.as_ref().is_some_and(|r| r.result == "success"));
    let state = match (finished, succeeded) {
        (false, _) => "pending",
        (true, true) => "completed",
        (true, false) => "failed",
    };
    Ok(Json(TransactionStatus {
        transaction_id: id,
        state: state.into(),
        participants,
    }))
}

/// The wallet scanned a session's frame or opened an invitation: binds the
/// wallet and shows who asks for what (signed by the wallet).
#[utoipa::path(post, path = "/v1/wallet/sessions/scan", request_body = ScanSessionRequest,
    responses((status = 200, body = ScannedSessionResponse), (status = 409, body = wz_proto::ErrorBody), (status = 422, body = wz_proto::ErrorBody)))]
pub(crate) async fn scan(
    State(app): State<AppState>,
    signed: Signed<ScanSessionRequest>,
) -> Result<Json<ScannedSessionResponse>, ApiError> {
    let scanned = app.services.sessions.scan(signed.request(), &signed.value.payload).await?;
    Ok(Json(ScannedSessionResponse {
        session_id: scanned.row.id,
        rp_id: scanned.party.id,
        rp_name: scanned.party.name,
        rp_category: scanned.party.category,
        purpose: scanned.row.purpose,
        mode: scanned.row.mode,
        attributes: scanned.row.attributes,
        released: scanned.released,
        expires_at_ms: scanned.row.expires_at_ms,
    }))
}

/// The citizen consents (signed by the scanning wallet).
#[utoipa::path(post, path = "/v1/wallet/sessions/{id}/consent",
    responses((status = 200, description = "consented"), (status = 409, body = wz_proto::ErrorBody)))]
pub(crate) async fn consent(
    State(app): State<AppState>,
    Path(id): Path<String>,
    signed: Signed<serde_json::Value>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let row = app.services.sessions.consent(signed.request(), &id).await?;
    Ok(Json(serde_json::json!({ "session_id": row.id, "state": row.state })))
}

/// The citizen declines; the RP is told (signed by the scanning wallet).
#[utoipa::path(post, path = "/v1/wallet/sessions/{id}/decline",
    responses((status = 200, description = "declined"), (status = 409, body = wz_proto::ErrorBody)))]
pub(crate) async fn decline(
    State(app): State<AppState>,
    Path(id): Path<String>,
    signed: Signed<serde_json::Value>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let row = app.services.sessions.decline(signed.request(), &id).await?;
    app.metrics.authentication("session", wz_core::ResultCode::ConsentDeclined.as_str());
    Ok(Json(serde_json::json!({ "session_id": row.id, "state": row.state })))
}

/// The wallet proves and the session completes; the same signed result
/// goes to the RP (signed by the scanning wallet).
#[utoipa::path(post, path = "/v1/wallet/sessions/{id}/complete", request_body = CompleteSessionRequest,
    responses((status = 200, body = AuthenticationResponse), (status = 409, body = wz_proto::ErrorBody)))]
pub(crate) async fn complete(
    State(app): State<AppState>,
    Path(id): Path<String>,
    signed: Signed<CompleteSessionRequest>,
) -> Result<Json<AuthenticationResponse>, ApiError> {
    let proof = AuthRequest {
        code: Some(signed.value.code.clone()),
        portrait: signed.value.portrait.as_deref().map(image_bytes).transpose()?,
        live: signed
            .value
            .live
            .as_ref()
            .map(|live| super::credentials::live_sequence(&live.challenge_token, &live.frames, live.speech.as_ref()))
            .transpose()?,
        password: signed.value.password.clone(),
        ..AuthRequest::default()
    };
    let (_, result) = app.services.sessions.complete(signed.request(), &id, proof).await?;
    let response = authentication_response(&result)?;
    app.metrics.authentication("session", &response.result);
    Ok(Json(response))
}
