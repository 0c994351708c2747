//! Signs authentication results in batches: every result waiting when the
//! signer is free goes into one Merkle tree whose root gets one signature
//! (`wz_core::sign_batch`). Under load one SM2 signature serves many
//! results; alone, a result is signed by itself without waiting (beyond
//! one yield to the scheduler, see `group_commit::gather_ready`).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, OnceCell};
use wz_core::{sign_batch, ResultAlg, ResultKey, SignedStatement};

use crate::group_commit::gather_ready;
use crate::{Keyring, ServiceError};

/// Most results under one signature.
const MAX_BATCH: usize = 512;

struct Job {
    payload: String,
    alg: ResultAlg,
    reply: oneshot::Sender<Result<SignedStatement, ServiceError>>,
}

/// The batch signer, started on first use.
#[derive(Clone)]
pub(crate) struct ResultSigner {
    keyring: Arc<Keyring>,
    sender: Arc<OnceCell<mpsc::Sender<Job>>>,
}

impl ResultSigner {
    pub(crate) fn new(keyring: Arc<Keyring>) -> Self {
        Self {
            keyring,
            sender: Arc::new(OnceCell::new()),
        }
    }

    /// Signs one payload (base64url statement) with `alg`.
    pub(crate) async fn sign(&self, payload: String, alg: ResultAlg) -> Result<SignedStatement, ServiceError> {
        let sender = self.sender.get_or_init(|| async { spawn(Arc::clone(&self.keyring)) }).await;
        let (reply, answer) = oneshot::channel();
        sender.send(Job { payload, alg, reply }).await.map_err(|_| ServiceError::Journal)?;
        answer.await.map_err(|_| ServiceError::Journal)?
    }
}

fn spawn(keyring: Arc<Keyring>) -> mpsc::Sender<Job> {
    let (sender, mut receiver) = mpsc::channel::<Job>(4 * MAX_BATCH);
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            gather_ready(&mut receiver, &mut batch, MAX_BATCH).await;
            for alg in [ResultAlg::Sm2, ResultAlg::Es256] {
                let (group, rest): (Vec<Job>, Vec<Job>) = batch.drain(..).partition(|job| job.alg == alg);
                batch = rest;
                if group.is_empty() {
                    continue;
                }
                let key = match alg {
                    ResultAlg::Sm2 => ResultKey::Sm2(&keyring.platform_sm2),
                    ResultAlg::Es256 => ResultKey::Es256(&keyring.platform_es256),
                };
                let payloads = group.iter().map(|job| job.payload.clone()).collect();
                match sign_batch(payloads, key) {
                    Ok(signed) => {
                        for (job, signed) in group.into_iter().zip(signed) {
                            let _ = job.reply.send(Ok(signed));
                        }
                    }
                    Err(error) => {
                        tracing::error!(error = &error as &dyn std::error::Error, "signing results failed");
                        for job in group {
                            let _ = job.reply.send(Err(ServiceError::RecordCorrupt));
                        }
                    }
                }
            }
        }
    });
    sender
}
