//! Delivers the webhook outbox (bodies sealed at rest, opened here): every
//! due delivery is posted with the
//! platform's SM2 signature over the body and an `Idempotency-Key`; a
//! delivery that fails is retried with exponential backoff (1 s, 2 s, 4 s,
//! … at most 5 minutes apart, 10 attempts). Deliveries were written in the
//! same transaction as the change they report, so a restart resumes them;
//! a receiver may see one twice after a crash between posting and
//! recording, which the idempotency key lets it ignore.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use wz_core::{sign_webhook, unix_ms};
use wz_service::Services;

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: u32 = 10;

/// Starts the delivery loop.
pub fn spawn(services: Services) -> JoinHandle<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let services = Arc::new(services);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tick.tick().await;
            let now_ms = unix_ms(services.context.clock.now());
            let due = match services.context.store.due_webhooks(now_ms, 50).await {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(error = &error as &dyn std::error::Error, "reading the webhook outbox failed");
                    continue;
                }
            };
            for hook in due {
                let keyring = &services.context.keyring;
                let body = match keyring.sealer.open_text(&hook.id, &hook.body) {
                    Ok(body) => body,
                    Err(error) => {
                        tracing::error!(error = &error as &dyn std::error::Error, rp = %hook.rp_id, "a webhook body does not open; given up");
                        let _ = services
                            .context
                            .store
                            .record_webhook_attempt(&hook.id, hook.attempts + 1, i64::MAX / 2, None)
                            .await;
                        continue;
                    }
                };
                let key = &keyring.platform_sm2;
                let Ok(signature) = sign_webhook(key, &body) else { continue };
                let sent = http
                    .post(&hook.url)
                    .header("content-type", "application/json")
                    .header("idempotency-key", &hook.id)
                    .header("x-wz-key-id", key.key_id().as_str())
                    .header("x-wz-signature", signature)
                    .body(body)
                    .send()
                    .await;
                let delivered = matches!(&sent, Ok(response) if response.status().is_success());
                let attempts = hook.attempts + 1;
                let now_ms = unix_ms(services.context.clock.now());
                let (next, at) = if delivered {
                    (now_ms, Some(now_ms))
                } else if attempts >= MAX_ATTEMPTS {
                    tracing::warn!(rp = %hook.rp_id, attempts, "webhook delivery given up");
                    (i64::MAX / 2, None)
                } else {
                    (now_ms + 1_000 * (1i64 << attempts.min(8)).min(300), None)
                };
                if let Err(error) = services.context.store.record_webhook_attempt(&hook.id, attempts, next, at).await {
                    tracing::warn!(error = &error as &dyn std::error::Error, "recording a webhook attempt failed");
                }
            }
        }
    })
}
