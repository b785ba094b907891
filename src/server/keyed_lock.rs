//! A fixed set of mutexes picked by key: serialises work on one key (e.g. one customer's
//! consent in one category) without a lock per key to create and clean up.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard};

/// How many stripes: two keys share a stripe with probability 1/64, which only costs a
/// short wait, never correctness.
const STRIPES: usize = 64;

/// Striped mutexes; [`KeyedLock::lock`] blocks, so call it on a blocking thread.
pub struct KeyedLock {
    stripes: Vec<Mutex<()>>,
}

impl Default for KeyedLock {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }
}

impl KeyedLock {
    /// Locks the stripe of `key` until the guard is dropped.
    pub fn lock(&self, key: &impl Hash) -> MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let index = (hasher.finish() % STRIPES as u64) as usize;
        // The guarded data is `()`: a panic elsewhere cannot leave it inconsistent.
        self.stripes[index]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn one_key_is_held_by_one_thread_at_a_time() {
        let lock = Arc::new(KeyedLock::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (lock, inside) = (Arc::clone(&lock), Arc::clone(&inside));
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        let _guard = lock.lock(&("customer", 7));
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    }
}
