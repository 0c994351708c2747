//! What the provider tells clients about itself: its metadata (OpenID
//! Connect Discovery 1.0, RFC 8414, RFC 9126 and RFC 9207 members) and the
//! JWK Set its ID tokens verify against.

use serde_json::{json, Value};
use wz_service::Keyring;

use crate::claims::{CLAIMS, SCOPES};
use crate::jose::Jwk;

/// Provider metadata for `issuer`.
pub fn metadata(issuer: &str) -> Value {
    let claims: Vec<&str> = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp"]
        .into_iter()
        .chain(CLAIMS)
        .collect();
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oidc/authorize"),
        "pushed_authorization_request_endpoint": format!("{issuer}/oidc/par"),
        "token_endpoint": format!("{issuer}/oidc/token"),
        "userinfo_endpoint": format!("{issuer}/oidc/userinfo"),
        "jwks_uri": format!("{issuer}/oidc/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256", "SM2"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "SM2"],
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256", "SM2"],
        "scopes_supported": SCOPES,
        "claims_supported": claims,
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_pushed_authorization_requests": false,
        "authorization_response_iss_parameter_supported": true,
        "acr_values_supported": ["L1", "L2", "L3", "L4"],
        "claim_types_supported": ["normal"],
        "ui_locales_supported": ["zh-CN", "en"],
        "service_documentation": format!("{issuer}/docs/oidc"),
    })
}

/// The JWK Set: the platform's ES256 and SM2 result keys.
pub fn jwks(keyring: &Keyring) -> Value {
    json!({
        "keys": [
            Jwk::from_es256(&keyring.platform_es256.verifying_key()),
            Jwk::from_sm2(&keyring.platform_sm2.verifying_key()),
        ]
    })
}
