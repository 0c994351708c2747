//! Rate limits for expensive or abusable use cases: requests per relying
//! party, light issuance per identity and per client address.
//!
//! A [`Limiter`] counts in this process (GCRA, `governor`). A [`Limit`]
//! can instead count for the whole cluster ([`SharedLimiter`]): instances
//! lease units of each fixed window from one database row, so a quota of
//! N per window is N for the cluster, not N per instance. Client addresses
//! stay per instance: they are personal data the database does not need.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use wz_core::unix_ms;
use wz_store::Store;

use crate::Clock;

/// A quota: `burst` requests at once, refilled at one per `period / burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    /// Requests allowed in a burst.
    pub burst: u32,
    /// Time to refill the whole burst.
    pub period: Duration,
}

impl RateQuota {
    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let interval = (self.period / self.burst.max(1)).max(Duration::from_nanos(1));
        Quota::with_period(interval).map_or_else(|| Quota::per_second(burst), |q| q.allow_burst(burst))
    }
}

/// A keyed limiter answering "how long until allowed".
pub(crate) struct Limiter<K: Hash + Eq + Clone> {
    inner: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    pub(crate) fn new(quota: RateQuota) -> Self {
        Self {
            inner: RateLimiter::keyed(quota.quota()),
        }
    }

    /// `Ok` if `key` may proceed now, else the wait in whole seconds (≥ 1).
    pub(crate) fn check(&self, key: &K) -> Result<(), u64> {
        self.inner.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + 1
        })?;
        if self.inner.len() > 100_000 {
            self.inner.retain_recent();
        }
        Ok(())
    }
}

/// A limit counted in this process or for the whole cluster.
pub(crate) enum Limit {
    /// This process's own counters (one instance, e.g. on SQLite).
    Local(Limiter<String>),
    /// Leases from the store, shared by every instance.
    Shared(SharedLimiter),
}

impl Limit {
    /// A limit named `scope` (the store's key prefix), shared when `store`
    /// is given.
    pub(crate) fn new(scope: &'static str, quota: RateQuota, shared: Option<(Arc<dyn Store>, Arc<dyn Clock>)>) -> Self {
        match shared {
            Some((store, clock)) => Self::Shared(SharedLimiter::new(scope, quota, store, clock)),
            None => Self::Local(Limiter::new(quota)),
        }
    }

    /// `Ok` if `key` may proceed now, else the wait in whole seconds (≥ 1).
    pub(crate) async fn check(&self, key: &str) -> Result<(), u64> {
        match self {
            Self::Local(limiter) => limiter.check(&key.to_owned()),
            Self::Shared(limiter) => limiter.check(key).await,
        }
    }
}

/// Units of one key's current window this instance holds.
#[derive(Debug, Default)]
struct Lease {
    window_start: i64,
    left: u32,
    /// The store had fewer than asked: the window is spent cluster-wide.
    spent: bool,
}

/// A cluster-wide limit: fixed windows of `quota.period`, `quota.burst`
/// units each, leased from the store in chunks so that most requests cost
/// no database round trip (one lease per chunk; a spent window costs none
/// until it ends). Units an instance leased and did not use lapse with the
/// window: the cluster may admit a little less than the quota, never more.
pub(crate) struct SharedLimiter {
    scope: &'static str,
    quota: RateQuota,
    chunk: u32,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    leases: Mutex<HashMap<String, Lease>>,
    /// Counts on this instance while the store cannot answer.
    fallback: Limiter<String>,
}

/// Keys held before old windows are forgotten.
const MAX_LEASES: usize = 100_000;

impl SharedLimiter {
    fn new(scope: &'static str, quota: RateQuota, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            scope,
            quota,
            chunk: lease_chunk(quota.burst),
            store,
            clock,
            leases: Mutex::new(HashMap::new()),
            fallback: Limiter::new(quota),
        }
    }

    async fn check(&self, key: &str) -> Result<(), u64> {
        let period_ms = i64::try_from(self.quota.period.as_millis()).unwrap_or(i64::MAX).max(1);
        let now_ms = unix_ms(self.clock.now());
        let window_start = now_ms - now_ms.rem_euclid(period_ms);
        let retry_after = u64::try_from((window_start + period_ms - now_ms) / 1000).unwrap_or(0) + 1;
        {
            let mut leases = self.leases.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(lease) = leases.get_mut(key).filter(|lease| lease.window_start == window_start) {
                if lease.left > 0 {
                    lease.left -= 1;
                    return Ok(());
                }
                if lease.spent {
                    return Err(retry_after);
                }
            }
        }
        let scope = format!("{}:{key}", self.scope);
        let granted = match self.store.lease_quota(&scope, window_start, self.chunk, self.quota.burst).await {
            Ok(granted) => granted,
            Err(error) => {
                // The key is not logged: for identities it is a lookup key.
                tracing::warn!(%error, scope = self.scope, "quota store unavailable; counting on this instance");
                return self.fallback.check(&key.to_owned());
            }
        };
        let mut leases = self.leases.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if leases.len() > MAX_LEASES {
            leases.retain(|_, lease| lease.window_start >= window_start);
        }
        let lease = leases.entry(key.to_owned()).or_default();
        if lease.window_start != window_start {
            *lease = Lease {
                window_start,
                ..Lease::default()
            };
        }
        lease.left += granted;
        lease.spent |= granted < self.chunk;
        if lease.left > 0 {
            lease.left -= 1;
            Ok(())
        } else {
            Err(retry_after)
        }
    }
}

/// Units leased at a time: about 1/32 of the window's quota (so a few
/// instances share a window finely), between 1 and 256 (so a large quota
/// costs at most one lease per 256 requests).
fn lease_chunk(burst: u32) -> u32 {
    (burst / 32).clamp(1, 256)
}

/// The limits light issuance applies.
pub(crate) struct IssuanceLimits {
    pub(crate) per_client: Limiter<IpAddr>,
    pub(crate) per_identity: Limit,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_next_waits() {
        let limiter = Limiter::new(RateQuota {
            burst: 3,
            period: Duration::from_secs(3600),
        });
        for _ in 0..3 {
            assert!(limiter.check(&1u8).is_ok());
        }
        let wait = limiter.check(&1u8).unwrap_err();
        assert!((1..=1201).contains(&wait), "{wait}");
        assert!(limiter.check(&2u8).is_ok(), "keys are independent");
    }
}
