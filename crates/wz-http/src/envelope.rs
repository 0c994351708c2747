//! Renders error bodies with the request id and records request metrics.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use wz_core::ResultCode;
use wz_proto::ErrorBody;

use crate::{ApiError, Metrics};

/// Wraps every request: attaches `{code, message, request_id}` bodies to
/// errors (including rejections and timeouts from lower layers), logs one
/// line per request without personal data, and counts it.
pub(crate) async fn envelope(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Any token is a valid HTTP method: only the standard ones become a
    // metric label or a log field, so a client cannot grow either.
    let method = method_label(request.method());
    // The matched route template, never the raw path: paths and queries may
    // carry identifiers.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(bounded_request_id)
        .unwrap_or_default();
    let response = next.run(request).await;
    let response = with_error_body(response, &request_id);
    let status = response.status().as_u16();
    metrics.observe(method, &route, status, started.elapsed());
    tracing::info!(method, %route, status, request_id, elapsed_ms = started.elapsed().as_millis() as u64, "request");
    response
}

/// The method as a label from a closed set; `other` for the rest.
pub(crate) fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Longest request id kept from a client's `x-request-id`.
pub(crate) const MAX_REQUEST_ID_CHARS: usize = 64;

/// A client-chosen request id, as logged and echoed in error bodies: at
/// most 64 characters from `[A-Za-z0-9._:-]`, the rest dropped.
pub(crate) fn bounded_request_id(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .take(MAX_REQUEST_ID_CHARS)
        .collect()
}

fn with_error_body(response: Response, request_id: &str) -> Response {
    let code = match response.extensions().get::<ApiError>() {
        Some(error) => error.code,
        None if response.status() == StatusCode::SERVICE_UNAVAILABLE => ResultCode::ServiceUnavailable,
        None if response.status() == StatusCode::PAYLOAD_TOO_LARGE => ResultCode::BodyTooLarge,
        None => return response,
    };
    let body = ErrorBody {
        code: code.as_str().to_owned(),
        message: code.message_en().to_owned(),
        message_zh: code.message_zh().to_owned(),
        request_id: request_id.to_owned(),
    };
    let (mut parts, _) = response.into_parts();
    let json = serde_json::to_vec(&body).unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut rebuilt = Response::from_parts(parts, Body::from(json));
    if rebuilt.status() == StatusCode::OK {
        *rebuilt.status_mut() = ApiError::new(code).status();
    }
    rebuilt.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_methods_share_one_label_and_request_ids_are_bounded() {
        assert_eq!(method_label(&Method::POST), "POST");
        let custom = Method::from_bytes("X".repeat(8_000).as_bytes()).unwrap();
        assert_eq!(method_label(&custom), "other");
        let id = bounded_request_id(&format!("abc\u{202e}\n{}", "z".repeat(1_000)));
        assert_eq!(id.len(), MAX_REQUEST_ID_CHARS);
        assert!(id.starts_with("abcz"));
    }
}
