//! The OpenID Connect provider (SPEC §8): any standard OIDC library signs
//! citizens in with WangZheng. Authorization code flow with PKCE `S256`,
//! pushed authorization requests (RFC 9126), `iss` in the response (RFC
//! 9207), `private_key_jwt` (ES256, SM2) or `client_secret_basic`, ID
//! tokens signed ES256 by default or SM2 per client, pairwise `sub`, and
//! `acr` L1–L4 as SPEC §2 defines them.
//!
//! A sign-in is a normal service-window session the provider opens for the
//! client when the browser arrives: the page shows its rotating QR code,
//! the citizen's wallet scans, consents and proves as the session's mode
//! requires, and the session's signed result becomes the ID token's
//! claims. Nothing personal is stored here: claims are read back from the
//! sealed session result each time. See docs/oidc.md.

#![warn(missing_docs)]

pub mod claims;
mod client_auth;
mod discovery;
mod dpop;
pub mod error;
pub mod jose;
mod provider;
pub mod request;
mod routes;

pub use discovery::{jwks, metadata};
pub use error::{OAuthCode, OAuthError};
pub use provider::{AuthorizeOutcome, Provider, SignInStatus, Started, TokenResponse, CODE_SECONDS, REQUEST_URI_SECONDS};
pub use routes::{router, SIGN_IN_PAGE};

/// The provider's JSON endpoints for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(routes::discovery, routes::keys, routes::par, routes::token, routes::userinfo))]
pub struct OidcApi;
