//! Bounds per key on things held open: the watches (server-sent event
//! streams and long-polls) of each relying party — a stream may last as
//! long as its session (a transaction's invitations up to 24 h), so without
//! a bound a single RP could hold any number of connections and tasks on an
//! instance — and, in the server, the webhook deliveries in flight to each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Open watches one relying party may hold on one instance.
pub const MAX_WATCHES_PER_RP: usize = 256;

/// Counts what is held open per key, up to a maximum per key.
#[derive(Clone, Default)]
pub struct KeyedLimit {
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One held slot; given back when dropped (the stream ended, the client
/// went away and the server dropped it, the delivery finished).
pub struct KeyedSlot {
    open: Arc<Mutex<HashMap<String, usize>>>,
    key: String,
}

/// A relying party's slot for one open watch.
pub type WatchPermit = KeyedSlot;

impl KeyedLimit {
    /// A slot for `key`, or `None` when it holds `max` already.
    pub fn try_take(&self, key: &str, max: usize) -> Option<KeyedSlot> {
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = open.entry(key.to_owned()).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(KeyedSlot {
            open: Arc::clone(&self.open),
            key: key.to_owned(),
        })
    }
}

impl Drop for KeyedSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_party_has_its_own_bound_and_slots_come_back() {
        let watchers = KeyedLimit::default();
        let first = watchers.try_take("rp-a", 2).unwrap();
        let _second = watchers.try_take("rp-a", 2).unwrap();
        assert!(watchers.try_take("rp-a", 2).is_none());
        let _other = watchers.try_take("rp-b", 2).unwrap();
        drop(first);
        assert!(watchers.try_take("rp-a", 2).is_some());
    }
}
