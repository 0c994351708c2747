//! What the hall asks of the platform beyond sign-in, through its public
//! API only: a multi-party transaction for the parties of a 股东变更 (each
//! opens their own invitation on their own phone), and the participants'
//! signed results, each checked against the platform's published keys
//! before the hall believes who authenticated.

use std::collections::BTreeMap;

use tokio::sync::Mutex;
use wz_core::SignedStatement;
use wz_crypto::Sm2VerifyingKey;
use wz_proto::{CreateTransactionRequest, CreatedTransaction};

use crate::rules::Applicant;

/// Why the platform did not do what was asked. No personal data.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The platform refused or could not be reached.
    #[error("the identity platform: {0}")]
    Unavailable(String),
    /// A result did not verify, or says something other than expected.
    #[error("a result from the platform failed its check: {0}")]
    BadResult(&'static str),
}

/// A participant who completed their part, as their verified result says.
#[derive(Clone)]
pub struct Authenticated {
    /// The participant's session id.
    pub session_id: String,
    /// Who they are (the name and ID number released to the hall).
    pub who: Applicant,
    /// The level reached.
    pub level: String,
    /// How the face was shown to be live (`spoken_digits`, `voice`,
    /// `face_sequence`), if it was.
    pub liveness: Option<String>,
}

impl std::fmt::Debug for Authenticated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticated")
            .field("session_id", &self.session_id)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

/// The hall as a relying party of the platform's session API.
pub struct Platform {
    client: wz_client::Client,
    rp_id: String,
    secret: String,
    mode: String,
    /// Result keys by key id, read from `/v1/keys` when first needed.
    keys: Mutex<BTreeMap<String, Sm2VerifyingKey>>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform").field("rp_id", &self.rp_id).finish_non_exhaustive()
    }
}

impl Platform {
    /// The platform at `url`, the hall registered there as `rp_id` with
    /// `secret`; parties authenticate in `mode` (the demo:
    /// `portrait_credential`, wallet and face).
    pub fn new(url: &str, rp_id: &str, secret: &str, mode: &str) -> Self {
        Self {
            client: wz_client::Client::new(url),
            rp_id: rp_id.to_owned(),
            secret: secret.to_owned(),
            mode: mode.to_owned(),
            keys: Mutex::new(BTreeMap::new()),
        }
    }

    /// Opens a transaction with one invitation per label.
    pub async fn invite(&self, purpose: &str, labels: Vec<String>) -> Result<CreatedTransaction, PlatformError> {
        let request = CreateTransactionRequest {
            mode: self.mode.clone(),
            purpose: purpose.to_owned(),
            attributes: vec!["name".into(), "id_number".into()],
            expires_in_seconds: Some(86_400),
            participants: labels,
        };
        self.client
            .create_transaction((&self.rp_id, &self.secret), &request)
            .await
            .map_err(|e| PlatformError::Unavailable(e.to_string()))
    }

    /// The participants of transaction `id` who have completed, each
    /// result's signature checked against the published keys.
    pub async fn completed(&self, id: &str) -> Result<Vec<Authenticated>, PlatformError> {
        let status = self
            .client
            .transaction((&self.rp_id, &self.secret), id)
            .await
            .map_err(|e| PlatformError::Unavailable(e.to_string()))?;
        let mut done = Vec::new();
        for session in status.participants {
            let Some(result) = session.result.filter(|_| session.state == "completed") else {
                continue;
            };
            let statement = self.verify(&result.signed).await?;
            if statement.result != "success" {
                continue;
            }
            if statement.rp_id != self.rp_id {
                return Err(PlatformError::BadResult("the result answers another relying party"));
            }
            let (Some(name), Some(id_number)) = (statement.attributes.get("name"), statement.attributes.get("id_number")) else {
                return Err(PlatformError::BadResult("the result releases no name and ID number"));
            };
            done.push(Authenticated {
                session_id: session.session_id,
                who: Applicant {
                    id_number: id_number.clone(),
                    name: name.clone(),
                },
                level: statement.level.unwrap_or_default(),
                liveness: statement.liveness,
            });
        }
        Ok(done)
    }

    async fn verify(&self, signed: &wz_proto::SignedResult) -> Result<wz_core::AuthStatement, PlatformError> {
        // The wire form and the core type are the same fields.
        let statement: SignedStatement = serde_json::to_value(signed)
            .and_then(serde_json::from_value)
            .map_err(|_| PlatformError::BadResult("the signed result is malformed"))?;
        let mut keys = self.keys.lock().await;
        if !keys.contains_key(&statement.key_id) {
            // A key not seen yet (first use, or the platform rotated).
            let published = self.client.keys().await.map_err(|e| PlatformError::Unavailable(e.to_string()))?;
            for key in published.keys.iter().filter(|k| k.alg == "SM2" && k.usage == "results") {
                if let Ok(parsed) = Sm2VerifyingKey::from_text(&key.sec1_hex, "result") {
                    keys.insert(key.kid.clone(), parsed);
                }
            }
        }
        let key = keys
            .get(&statement.key_id)
            .ok_or(PlatformError::BadResult("signed with a key the platform does not publish"))?;
        statement
            .verify_sm2(key)
            .map_err(|_| PlatformError::BadResult("the signature does not verify"))
    }
}
