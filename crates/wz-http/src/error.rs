//! `ApiError`: the only type that knows HTTP status codes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wz_core::ResultCode;
use wz_service::ServiceError;

/// A failed request: a result code and the status it maps to. Rendered as
/// `{code, message, message_zh, request_id}` by the envelope middleware,
/// which knows the request id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiError {
    /// The result code.
    pub code: ResultCode,
    /// Seconds to wait, sent as `Retry-After` (rate limits).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this code.
    pub fn new(code: ResultCode) -> Self {
        Self { code, retry_after: None }
    }

    /// HTTP status for the code.
    pub fn status(&self) -> StatusCode {
        use ResultCode::*;
        match self.code {
            Success => StatusCode::OK,
            InvalidRequest
            | IdNumberWrongLength
            | IdNumberInvalidCharacter
            | IdNumberUnknownRegion
            | IdNumberInvalidBirthDate
            | IdNumberInvalidSequence
            | IdNumberCheckDigit
            | InvalidIdentityRecord
            | CardMalformed
            | InvalidImage
            | AudioInvalid
            | QrMalformed
            | PasswordFormat => StatusCode::BAD_REQUEST,
            BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            NotFound | IdentityNotFound | CredentialNotFound | EnrolmentNotFound | SessionNotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Unauthorized | RequestSignatureInvalid | RequestReplayed | TerminalUnknown => StatusCode::UNAUTHORIZED,
            Forbidden | DemoModeRequired | ModeNotAllowed => StatusCode::FORBIDDEN,
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            IdentityExists | InvalidStatusTransition | EnrolmentState | EnrolmentCancelled | SessionState => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let code = error.result_code();
        if let ServiceError::RateLimited { retry_after } = error {
            return Self {
                code,
                retry_after: Some(retry_after),
            };
        }
        if code == ResultCode::InternalError {
            // Logged once, here, with its source chain; Display holds no personal data.
            tracing::error!(error = &error as &dyn std::error::Error, "request failed");
        }
        Self::new(code)
    }
}

impl From<wz_core::IdNumberError> for ApiError {
    fn from(error: wz_core::IdNumberError) -> Self {
        Self::new(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(self);
        response
    }
}
