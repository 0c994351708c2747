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

/// A request signed by a wallet or terminal: the proof from the headers,
/// the method and path, the raw body (exactly what was signed) and the
/// body parsed as `T`. Missing or malformed proof headers are refused here;
/// the signature itself is checked by the service, which knows the keys.
pub struct Signed<T> {
    /// The proof.
    pub proof: wz_core::RequestProof,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Raw body bytes.
    pub body: axum::body::Bytes,
    /// Parsed body.
    pub value: T,
}

impl<T> Signed<T> {
    /// What the service verifies.
    pub fn request(&self) -> wz_service::SignedRequest<'_> {
        wz_service::SignedRequest {
            proof: &self.proof,
            target: wz_core::RequestTarget {
                method: &self.method,
                path: &self.path,
                body: &self.body,
            },
        }
    }
}

fn proof_from_headers(headers: &axum::http::HeaderMap) -> Option<wz_core::RequestProof> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    wz_core::RequestProof::from_headers(
        text("x-wz-signer")?,
        text("x-wz-timestamp")?,
        text("x-wz-nonce")?,
        text("x-wz-signature")?,
    )
}

/// Whether the request says its body is JSON.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The raw body, within the route's body limit.
async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<axum::body::Bytes, ApiError> {
    axum::body::Bytes::from_request(request, state).await.map_err(|rejection| {
        ApiError::new(if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ResultCode::BodyTooLarge
        } else {
            ResultCode::InvalidRequest
        })
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Signed<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let proof = proof_from_headers(request.headers()).ok_or(ApiError::new(ResultCode::RequestSignatureInvalid))?;
        let is_json = is_json(request.headers());
        if !is_json {
            return Err(ApiError::new(ResultCode::UnsupportedMediaType));
        }
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        let body = body_bytes(request, state).await?;
        let value = serde_json::from_slice(&body).map_err(|_| ApiError::new(ResultCode::InvalidRequest))?;
        Ok(Self {
            proof,
            method,
            path,
            body,
            value,
        })
    }
}

/// The client's address (`0.0.0.0` when the server was not started with
/// connection info, as in router-level tests).
pub struct ClientAddr(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
        Ok(Self(addr))
    }
}

/// A relying party that authenticated with HTTP Basic
/// `client_id:client_secret` (and, if it registered a request key, signed
/// the request), with the request's id. This extractor takes no body: it
/// checks a signature over an empty body, for GET and body-less POST.
pub struct RelyingPartyClient {
    /// Its registration.
    pub row: wz_service::RelyingPartyRow,
    /// The `x-request-id` of this request.
    pub request_id: String,
}

fn basic_credentials(headers: &axum::http::HeaderMap) -> Result<(String, String), ApiError> {
    use base64::Engine;
    let decoded = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v.trim()).ok())
        .and_then(|v| String::from_utf8(v).ok())
        .ok_or(ApiError::new(ResultCode::Unauthorized))?;
    let (id, secret) = decoded.split_once(':').ok_or(ApiError::new(ResultCode::Unauthorized))?;
    Ok((id.to_owned(), secret.to_owned()))
}

fn request_id(headers: &axum::http::HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(crate::envelope::bounded_request_id)
        .unwrap_or_default()
}

async fn authenticate_party(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<wz_service::RelyingPartyRow, ApiError> {
    let (id, secret) = basic_credentials(headers)?;
    let proof = proof_from_headers(headers);
    let signed = proof.as_ref().map(|proof| wz_service::SignedRequest {
        proof,
        target: wz_core::RequestTarget { method, path, body },
    });
    Ok(state.services.relying_parties.authenticate_request(&id, &secret, signed).await?)
}

impl FromRequestParts<AppState> for RelyingPartyClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let row = authenticate_party(state, &parts.headers, parts.method.as_str(), parts.uri.path(), b"").await?;
        Ok(Self {
            row,
            request_id: request_id(&parts.headers),
        })
    }
}

/// A relying party's JSON request: [`RelyingPartyClient`] with the body,
/// whose signature (if the RP registered a key) covers the body as sent.
pub struct RelyingPartyCall<T> {
    /// The caller.
    pub client: RelyingPartyClient,
    /// The parsed body.
    pub value: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for RelyingPartyCall<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = is_json(request.headers());
        let headers = request.headers().clone();
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        let body = body_bytes(request, state).await?;
        let row = authenticate_party(state, &headers, &method, &path, &body).await?;
        if !is_json {
            return Err(ApiError::new(ResultCode::UnsupportedMediaType));
        }
        let value = serde_json::from_slice(&body).map_err(|_| ApiError::new(ResultCode::InvalidRequest))?;
        Ok(Self {
            client: RelyingPartyClient {
                row,
                request_id: request_id(&headers),
            },
            value,
        })
    }
}
