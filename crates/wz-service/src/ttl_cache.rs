//! A small in-process cache whose entries expire after a fixed time and
//! which empties itself when full (simpler than LRU, and enough for caches
//! that refill in one database read).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

pub(crate) struct TtlCache<K, V> {
    entries: Mutex<HashMap<K, (i64, V)>>,
    capacity: usize,
    ttl_ms: i64,
}

impl<K: Hash + Eq, V: Clone> TtlCache<K, V> {
    pub(crate) fn new(capacity: usize, ttl_ms: i64) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
            ttl_ms,
        }
    }

    /// The value stored for `key` less than the TTL before `now_ms`.
    pub(crate) fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q, now_ms: i64) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let entries = self.entries.lock().ok()?;
        let (stored_at, value) = entries.get(key)?;
        (now_ms - stored_at < self.ttl_ms && now_ms >= *stored_at).then(|| value.clone())
    }

    pub(crate) fn put(&self, key: K, value: V, now_ms: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.capacity {
                entries.clear();
            }
            entries.insert(key, (now_ms, value));
        }
    }

    pub(crate) fn remove<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_a_full_cache_starts_over() {
        let cache = TtlCache::new(2, 100);
        cache.put(1, "a", 0);
        assert_eq!(cache.get(&1, 99), Some("a"));
        assert_eq!(cache.get(&1, 100), None);
        cache.put(2, "b", 0);
        cache.put(3, "c", 0);
        assert_eq!(cache.get(&1, 1), None, "cleared when full");
        assert_eq!(cache.get(&3, 1), Some("c"));
        cache.remove(&3);
        assert_eq!(cache.get(&3, 1), None);
    }
}
