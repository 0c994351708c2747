//! OAuth errors (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; RFC 9449 §7.1):
//! the only error type the provider's endpoints answer with.

use wz_service::ServiceError;

/// An OAuth error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthCode {
    /// Missing, repeated or malformed parameter.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// Code unknown, used, expired, not this client's, wrong verifier or redirect URI.
    InvalidGrant,
    /// This client may not do this.
    UnauthorizedClient,
    /// Not `authorization_code`.
    UnsupportedGrantType,
    /// Not `code`.
    UnsupportedResponseType,
    /// A scope we do not know, or without `openid`.
    InvalidScope,
    /// The citizen declined, the session ended, or the level cannot be met.
    AccessDenied,
    /// A `request_uri` that is unknown, used or expired.
    InvalidRequestUri,
    /// The access token is missing, unknown, expired or revoked.
    InvalidToken,
    /// A DPoP proof that does not check.
    InvalidDpopProof,
    /// The store or a key failed.
    ServerError,
    /// Overloaded or shutting down.
    TemporarilyUnavailable,
    /// The client's request quota is spent (answered 429, as
    /// `temporarily_unavailable`).
    RateLimited,
}

impl OAuthCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::InvalidRequestUri => "invalid_request_uri",
            Self::InvalidToken => "invalid_token",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable | Self::RateLimited => "temporarily_unavailable",
        }
    }
}

/// A refused OAuth request: the code and a description with no personal
/// data in it (it reaches the client and, on redirects, the browser).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    /// The code.
    pub code: OAuthCode,
    /// Why, for the developer.
    pub description: &'static str,
}

impl OAuthError {
    /// An error with this code and description.
    pub const fn new(code: OAuthCode, description: &'static str) -> Self {
        Self { code, description }
    }

    /// `invalid_request` with a description.
    pub const fn request(description: &'static str) -> Self {
        Self::new(OAuthCode::InvalidRequest, description)
    }

    /// `invalid_grant` with a description.
    pub const fn grant(description: &'static str) -> Self {
        Self::new(OAuthCode::InvalidGrant, description)
    }

    /// `invalid_client`.
    pub const fn client() -> Self {
        Self::new(OAuthCode::InvalidClient, "client authentication failed")
    }

    /// The HTTP status for a direct (non-redirect) answer.
    pub fn status(&self) -> u16 {
        match self.code {
            OAuthCode::InvalidClient | OAuthCode::InvalidToken => 401,
            OAuthCode::ServerError => 500,
            OAuthCode::RateLimited => 429,
            OAuthCode::TemporarilyUnavailable => 503,
            OAuthCode::AccessDenied => 403,
            _ => 400,
        }
    }
}

impl From<wz_store::StoreError> for OAuthError {
    fn from(error: wz_store::StoreError) -> Self {
        tracing::warn!(error = %error, "oidc store error");
        Self::new(OAuthCode::ServerError, "storage is unavailable")
    }
}

impl From<ServiceError> for OAuthError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::RateLimited { .. } => Self::new(OAuthCode::RateLimited, "the client's request quota is spent; retry in a second"),
            ServiceError::InvalidInput(reason) => Self::request(reason),
            ServiceError::Refused(wz_core::ResultCode::Unauthorized) => Self::client(),
            ServiceError::Refused(wz_core::ResultCode::ModeNotAllowed) => {
                Self::new(OAuthCode::UnauthorizedClient, "the client may not use the mode this level needs")
            }
            ServiceError::Refused(_) => Self::new(OAuthCode::AccessDenied, "the platform refused the sign-in"),
            other => {
                tracing::warn!(error = %other, "oidc service error");
                Self::new(OAuthCode::ServerError, "the provider failed; retry later")
            }
        }
    }
}
