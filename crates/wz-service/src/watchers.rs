//! A bound on the open watches (server-sent event streams and long-polls)
//! of each relying party: a stream may last as long as its session (a
//! transaction's invitations up to 24 h), so without one a single RP could
//! hold any number of connections and tasks on an instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::ServiceError;

/// Open watches one relying party may hold on one instance.
pub const MAX_WATCHES_PER_RP: usize = 256;

/// Counts open watches per relying party.
#[derive(Clone, Default)]
pub(crate) struct Watchers {
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open watch; the slot is given back when it is dropped (the stream
/// ended, or the client went away and the server dropped it).
pub struct WatchPermit {
    open: Arc<Mutex<HashMap<String, usize>>>,
    rp_id: String,
}

impl Watchers {
    /// A slot for `rp_id`, or `rate_limited` when it holds the maximum.
    pub(crate) fn take(&self, rp_id: &str, max: usize) -> Result<WatchPermit, ServiceError> {
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = open.entry(rp_id.to_owned()).or_default();
        if *count >= max {
            return Err(ServiceError::RateLimited { retry_after: 5 });
        }
        *count += 1;
        Ok(WatchPermit {
            open: Arc::clone(&self.open),
            rp_id: rp_id.to_owned(),
        })
    }
}

impl Drop for WatchPermit {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = open.get_mut(&self.rp_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.rp_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_party_has_its_own_bound_and_slots_come_back() {
        let watchers = Watchers::default();
        let first = watchers.take("rp-a", 2).unwrap();
        let _second = watchers.take("rp-a", 2).unwrap();
        assert!(matches!(watchers.take("rp-a", 2), Err(ServiceError::RateLimited { .. })));
        let _other = watchers.take("rp-b", 2).unwrap();
        drop(first);
        assert!(watchers.take("rp-a", 2).is_ok());
    }
}
