//! `GET /v1/keys`: the public keys RPs and readers verify against.

use axum::extract::State;
use axum::Json;
use base64::Engine;
use wz_proto::{KeysResponse, PublishedKey};

use crate::AppState;

/// Lists the platform's result-signing keys (SM2, ES256) and the trusted
/// card-authority keys.
#[utoipa::path(get, path = "/v1/keys", responses((status = 200, body = KeysResponse)))]
pub(crate) async fn list(State(app): State<AppState>) -> Json<KeysResponse> {
    let keyring = &app.services.context.keyring;
    let sm2 = |key: &wz_crypto::Sm2VerifyingKey, usage: &str| PublishedKey {
        kid: key.key_id().to_string(),
        alg: "SM2".into(),
        usage: usage.into(),
        public_key_pem: key.to_public_key_pem().ok(),
        sec1_hex: hex::encode(key.to_sec1_bytes()),
        x: None,
        y: None,
    };
    let es256 = keyring.platform_es256.verifying_key();
    let (x, y) = es256.coordinates();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut keys = vec![
        sm2(&keyring.platform_sm2.verifying_key(), "results"),
        PublishedKey {
            kid: es256.key_id().to_string(),
            alg: "ES256".into(),
            usage: "results".into(),
            public_key_pem: None,
            sec1_hex: hex::encode(es256.to_sec1_bytes()),
            x: Some(b64.encode(x)),
            y: Some(b64.encode(y)),
        },
    ];
    keys.extend(keyring.trusted_authorities.keys().map(|k| sm2(k, "card-authority")));
    Json(KeysResponse { keys })
}
