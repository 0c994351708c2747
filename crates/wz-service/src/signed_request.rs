//! Checking signed requests from wallets and terminals (`wz_core::RequestProof`):
//! the signature under the named key, the time window, and the nonce's
//! single use.

use wz_core::{unix_ms, ProofError, RequestProof, RequestTarget, ResultCode, Signer, REQUEST_WINDOW_MS};
use wz_crypto::Sm2VerifyingKey;
use wz_store::{NonceUse, TerminalRow};

use crate::{ServiceContext, ServiceError};

/// A request as received: its proof and exactly what was signed.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The proof from the headers.
    pub proof: &'a RequestProof,
    /// Method, path and body bytes.
    pub target: RequestTarget<'a>,
}

impl From<ProofError> for ServiceError {
    fn from(error: ProofError) -> Self {
        Self::Refused(error.into())
    }
}

impl ServiceContext {
    async fn check_proof(&self, request: &SignedRequest<'_>, key: &Sm2VerifyingKey) -> Result<(), ServiceError> {
        let now_ms = unix_ms(self.clock.now());
        request.proof.verify(key, request.target, now_ms)?;
        self.spend_request_nonce(request).await
    }

    /// Records a verified request's nonce; a second use is a replay.
    pub(crate) async fn spend_request_nonce(&self, request: &SignedRequest<'_>) -> Result<(), ServiceError> {
        let nonce = NonceUse {
            kind: "request",
            nonce: request.proof.nonce,
            expires_at_ms: request.proof.timestamp_ms + REQUEST_WINDOW_MS,
            credential: None,
        };
        if !self.store.consume_nonce(&nonce).await? {
            return Err(ProofError::Replayed.into());
        }
        Ok(())
    }

    /// Verifies a wallet's request; returns the device key that signed it.
    pub(crate) async fn verify_device_request(&self, request: &SignedRequest<'_>) -> Result<Sm2VerifyingKey, ServiceError> {
        let Signer::Device(key) = &request.proof.signer else {
            return Err(ProofError::SignatureInvalid.into());
        };
        let key = Sm2VerifyingKey::from_sec1_bytes(key, "device").map_err(|_| ServiceError::from(ProofError::SignatureInvalid))?;
        self.check_proof(request, &key).await?;
        Ok(key)
    }

    /// Verifies a terminal's request; returns the registered terminal.
    pub(crate) async fn verify_terminal_request(&self, request: &SignedRequest<'_>) -> Result<TerminalRow, ServiceError> {
        let Signer::Terminal(id) = &request.proof.signer else {
            return Err(ProofError::SignatureInvalid.into());
        };
        let terminal = self
            .store
            .find_terminal(id)
            .await?
            .filter(|t| t.active)
            .ok_or(ServiceError::Refused(ResultCode::TerminalUnknown))?;
        let key = Sm2VerifyingKey::from_sec1_bytes(&terminal.public_key, "terminal").map_err(|_| ServiceError::RecordCorrupt)?;
        self.check_proof(request, &key).await?;
        Ok(terminal)
    }
}
