//! Extractors: JSON bodies with coded rejections, and operator authority.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use wz_core::ResultCode;

use crate::{ApiError, AppState};

/// `Json<T>` whose rejections are [`ApiError`]s with stable codes. Parser
/// messages are not echoed: they can quote the input, which may be personal.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::new(match &rejection {
                JsonRejection::MissingJsonContentType(_) => ResultCode::UnsupportedMediaType,
                other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ResultCode::BodyTooLarge,
                _ => ResultCode::InvalidRequest,
            })),
        }
    }
}

/// The operator token, kept as its SM3 digest.
///
/// # Security
/// Compared in constant time on digests; the token itself is never logged.
pub struct AdminToken {
    digest: [u8; 32],
}

impl AdminToken {
    /// Keeps the digest of `token`.
    pub fn new(token: &str) -> Self {
        Self {
            digest: wz_crypto::sm3(token.as_bytes()),
        }
    }

    fn accepts(&self, presented: &str) -> bool {
        wz_crypto::sm3(presented.as_bytes()).ct_eq(&self.digest).into()
    }
}

/// Proof that the caller presented the operator token. Admin handlers take
/// one, so an unauthenticated call cannot reach them.
pub struct AdminScope(());

impl FromRequestParts<AppState> for AdminScope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::new(ResultCode::Unauthorized))?;
        if state.admin_token.accepts(presented) {
            Ok(Self(()))
        } else {
            Err(ApiError::new(ResultCode::Unauthorized))
        }
    }
}
