//! Periodic sweeps of rows nothing reads again: used nonces past their
//! expiry and quota windows long ended. Each sweep is one idempotent
//! `DELETE`, so every instance of a cluster may run it; the windows are
//! kept an hour, longer than any quota's period.

use std::time::Duration;

use tokio::task::JoinHandle;
use wz_core::unix_ms;
use wz_service::Services;

/// How often the sweeps run.
const EVERY: Duration = Duration::from_secs(60);

/// Quota windows are forgotten this long after they started.
const QUOTA_WINDOW_KEPT_MS: i64 = 3_600_000;

/// Starts the sweeps.
pub fn spawn(services: Services) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            let store = &services.context.store;
            let now_ms = unix_ms(services.context.clock.now());
            if let Err(error) = store.purge_nonces(now_ms).await {
                tracing::warn!(error = &error as &dyn std::error::Error, "sweeping used nonces failed");
            }
            if let Err(error) = store.purge_quota_windows(now_ms - QUOTA_WINDOW_KEPT_MS).await {
                tracing::warn!(error = &error as &dyn std::error::Error, "sweeping quota windows failed");
            }
        }
    })
}
