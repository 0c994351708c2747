//! In-process rate limits for expensive or abusable use cases (light
//! issuance), per client address and per identity. One process keeps its
//! own counters; several servers behind a balancer each allow the quota,
//! which bounds the total at quota × servers.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

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

/// The limits light issuance applies.
pub(crate) struct IssuanceLimits {
    pub(crate) per_client: Limiter<IpAddr>,
    pub(crate) per_identity: Limiter<[u8; 32]>,
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
