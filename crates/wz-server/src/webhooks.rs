//! Delivers the webhook outbox (bodies sealed at rest, opened here): every
//! due delivery is posted with the
//! platform's SM2 signature over the body and an `Idempotency-Key`; a
//! delivery that fails is retried with exponential backoff (1 s, 2 s, 4 s,
//! … at most 5 minutes apart, 10 attempts). Deliveries were written in the
//! same transaction as the change they report, so a restart resumes them;
//! a receiver may see one twice after a crash between posting and
//! recording, which the idempotency key lets it ignore.
//!
//! Deliveries run concurrently, at most [`PER_RP_IN_FLIGHT`] per relying
//! party and [`IN_FLIGHT`] in all, so one slow receiver delays only its
//! own webhooks. A delivery is claimed before it is posted (its next
//! attempt moved past the request timeout, only if no one moved it since
//! it was read), so neither this loop nor another instance's picks it up
//! again while it is in flight.
//!
//! Every target is checked against the operator's [`WebhookPolicy`] at
//! each delivery, and a name is resolved by [`CheckedResolver`], which
//! drops any address the policy refuses: a name that resolved to a public
//! address at registration and to `127.0.0.1` now (DNS rebinding) is not
//! connected to.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use wz_core::{sign_webhook, unix_ms, WebhookPolicy};
use wz_service::{KeyedLimit, Services};
use wz_store::WebhookRow;

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: u32 = 10;
/// Deliveries in flight to one relying party at a time.
pub const PER_RP_IN_FLIGHT: usize = 4;
/// Deliveries in flight in all.
pub const IN_FLIGHT: usize = 64;
/// The longest one delivery may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A claimed delivery is not due again before this (past the timeout).
const CLAIM_MS: i64 = 15_000;
/// A delivery whose RP is at its in-flight bound is looked at again after this.
const BUSY_RETRY_MS: i64 = 5_000;

/// Resolves names with the system resolver and keeps only the addresses
/// the webhook policy allows; none left is a connection error.
pub struct CheckedResolver {
    policy: Arc<WebhookPolicy>,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = resolved.filter(|address| policy.address_allowed(Some(&host), *address)).collect();
            if allowed.is_empty() {
                return Err("the webhook host resolves to no address the policy allows".into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client for deliveries: no redirects, no proxy from the
/// environment, names resolved through [`CheckedResolver`].
fn client(policy: Arc<WebhookPolicy>) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver { policy }))
        .build()
        .unwrap_or_default()
}

/// Starts the delivery loop.
pub fn spawn(services: Services) -> JoinHandle<()> {
    let http = client(Arc::clone(&services.context.webhooks));
    let services = Arc::new(services);
    let in_flight = KeyedLimit::default();
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tick.tick().await;
            let store = &services.context.store;
            let now_ms = unix_ms(services.context.clock.now());
            let due = match store.due_webhooks(now_ms, 100).await {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(error = &error as &dyn std::error::Error, "reading the webhook outbox failed");
                    continue;
                }
            };
            for hook in due {
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else { break };
                let Some(rp_slot) = in_flight.try_take(&hook.rp_id, PER_RP_IN_FLIGHT) else {
                    // Its RP is busy: look again later, so that the due
                    // list keeps moving to other RPs' deliveries (unless
                    // another instance has claimed it meanwhile).
                    let _ = store.claim_webhook(&hook.id, hook.next_attempt_at_ms, now_ms + BUSY_RETRY_MS).await;
                    continue;
                };
                // Several instances read the same outbox: whoever claims
                // the delivery first posts it.
                match store.claim_webhook(&hook.id, hook.next_attempt_at_ms, now_ms + CLAIM_MS).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(error) => {
                        tracing::warn!(error = &error as &dyn std::error::Error, "claiming a webhook delivery failed");
                        continue;
                    }
                }
                let (services, http) = (Arc::clone(&services), http.clone());
                tokio::spawn(async move {
                    deliver(&services, &http, &hook).await;
                    drop((rp_slot, slot));
                });
            }
        }
    })
}

/// One attempt at one delivery, recorded.
async fn deliver(services: &Services, http: &reqwest::Client, hook: &WebhookRow) {
    let store = &services.context.store;
    let attempts = hook.attempts + 1;
    let give_up = || store.record_webhook_attempt(&hook.id, attempts, i64::MAX / 2, None);
    let keyring = &services.context.keyring;
    let body = match keyring.sealer.open_text(&hook.id, &hook.body) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(error = &error as &dyn std::error::Error, rp = %hook.rp_id, "a webhook body does not open; given up");
            let _ = give_up().await;
            return;
        }
    };
    // The policy may have tightened since the URL was registered.
    let target = match services.context.webhooks.check(&hook.url) {
        Ok(target) => target,
        Err(error) => {
            tracing::warn!(rp = %hook.rp_id, reason = error.reason(), "webhook target refused by the policy; given up");
            let _ = give_up().await;
            return;
        }
    };
    let key = &keyring.platform_sm2;
    let Ok(signature) = sign_webhook(key, &body) else { return };
    let sent = http
        .post(target.as_str())
        .header("content-type", "application/json")
        .header("idempotency-key", &hook.id)
        .header("x-wz-key-id", key.key_id().as_str())
        .header("x-wz-signature", signature)
        .body(body)
        .send()
        .await;
    let delivered = matches!(&sent, Ok(response) if response.status().is_success());
    let now_ms = unix_ms(services.context.clock.now());
    let (next, at) = if delivered {
        (now_ms, Some(now_ms))
    } else if attempts >= MAX_ATTEMPTS {
        tracing::warn!(rp = %hook.rp_id, attempts, "webhook delivery given up");
        (i64::MAX / 2, None)
    } else {
        (now_ms + 1_000 * (1i64 << attempts.min(8)).min(300), None)
    };
    if let Err(error) = store.record_webhook_attempt(&hook.id, attempts, next, at).await {
        tracing::warn!(error = &error as &dyn std::error::Error, "recording a webhook attempt failed");
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use reqwest::dns::{Name, Resolve};

    use super::*;

    /// DNS rebinding: a name is checked address by address at every
    /// delivery; `localhost` stands in for a name that now resolves inside.
    #[tokio::test]
    async fn names_resolving_inside_are_not_connected_to() {
        let strict = CheckedResolver {
            policy: Arc::new(WebhookPolicy::default()),
        };
        let refused = strict.resolve(Name::from_str("localhost").unwrap()).await;
        assert!(refused.is_err());
        let listed = CheckedResolver {
            policy: Arc::new(WebhookPolicy {
                allowed_hosts: vec!["localhost".into()],
                ..WebhookPolicy::default()
            }),
        };
        let addresses: Vec<SocketAddr> = listed.resolve(Name::from_str("localhost").unwrap()).await.unwrap().collect();
        assert!(!addresses.is_empty() && addresses.iter().all(|a| a.ip().is_loopback()));
    }

    #[test]
    fn in_flight_deliveries_are_bounded_per_party() {
        let in_flight = KeyedLimit::default();
        let mut slow: Vec<_> = (0..PER_RP_IN_FLIGHT)
            .map(|_| in_flight.try_take("rp-slow", PER_RP_IN_FLIGHT).unwrap())
            .collect();
        assert!(in_flight.try_take("rp-slow", PER_RP_IN_FLIGHT).is_none());
        assert!(in_flight.try_take("rp-other", PER_RP_IN_FLIGHT).is_some());
        slow.pop();
        assert!(in_flight.try_take("rp-slow", PER_RP_IN_FLIGHT).is_some());
    }
}
