//! Time as an input.

use time::OffsetDateTime;

/// Source of the current time.
pub trait Clock: Send + Sync {
    /// Now, UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one real clock
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}
