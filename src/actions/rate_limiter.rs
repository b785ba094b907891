//! Client-side rate limits: at most N requests in any one-second and any one-minute
//! interval, and at most C in flight.
//!
//! The limiter keeps the send times of the last N requests (a sliding log) rather than
//! counting fixed windows of its own: any one-second interval then holds at most N sends,
//! so whichever way a server aligns its fixed windows, it never sees more than N in one.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::project::RateLimit;

/// Slack added to each window: a request sent just after the window closes may still
/// reach the server a little late, inside the server's next window with the previous one.
const SECOND_WINDOW: Duration = Duration::from_millis(1_020);
const MINUTE_WINDOW: Duration = Duration::from_millis(60_100);

/// One rate limit, shared (through an `Arc`) by everything that sends under it.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    second: Mutex<VecDeque<Instant>>,
    minute: Mutex<VecDeque<Instant>>,
    in_flight: Option<Arc<Semaphore>>,
}

/// Held while a request is in flight; dropping it frees the concurrency slot.
#[derive(Debug)]
pub struct Permit {
    _slot: Option<OwnedSemaphorePermit>,
}

impl RateLimiter {
    /// A limiter for `limit`; absent fields do not limit.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            second: Mutex::new(VecDeque::new()),
            minute: Mutex::new(VecDeque::new()),
            in_flight: limit
                .concurrency
                .map(|n| Arc::new(Semaphore::new(n.max(1) as usize))),
        }
    }

    /// The limit this limiter enforces.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Waits for a concurrency slot and for room in both windows, then records one send.
    pub async fn acquire(&self) -> Permit {
        let slot = match &self.in_flight {
            // The semaphore is never closed, so acquiring cannot fail.
            Some(semaphore) => semaphore.clone().acquire_owned().await.ok(),
            None => None,
        };
        loop {
            match self.try_record(Instant::now()) {
                None => return Permit { _slot: slot },
                Some(until) => tokio::time::sleep_until(until).await,
            }
        }
    }

    /// Records a send at `now` if both windows have room; otherwise returns when to retry.
    fn try_record(&self, now: Instant) -> Option<Instant> {
        let mut second = lock(&self.second);
        let mut minute = lock(&self.minute);
        let wait_second = room(&mut second, self.limit.per_second, SECOND_WINDOW, now);
        let wait_minute = room(&mut minute, self.limit.per_minute, MINUTE_WINDOW, now);
        match (wait_second, wait_minute) {
            (None, None) => {
                if self.limit.per_second.is_some() {
                    second.push_back(now);
                }
                if self.limit.per_minute.is_some() {
                    minute.push_back(now);
                }
                None
            }
            (a, b) => a.into_iter().chain(b).max(),
        }
    }
}

/// Drops sends that left the window; `None` if one more fits, else when the oldest leaves.
fn room(
    log: &mut VecDeque<Instant>,
    max: Option<u32>,
    window: Duration,
    now: Instant,
) -> Option<Instant> {
    let max = max? as usize;
    while log.front().is_some_and(|sent| *sent + window <= now) {
        log.pop_front();
    }
    if log.len() < max.max(1) {
        None
    } else {
        log.front().map(|oldest| *oldest + window)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the log inconsistent: keep using it.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The limiters of one process, by key (an auth schema, or an auth schema and a Klaviyo
/// endpoint tier), so that every node sending under the same key shares one limiter.
#[derive(Debug, Clone, Default)]
pub struct RateLimiters {
    by_key: Arc<Mutex<HashMap<String, Arc<RateLimiter>>>>,
}

impl RateLimiters {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The limiter for `key`, created with `limit` on first use.
    pub fn get_or_create(&self, key: &str, limit: RateLimit) -> Arc<RateLimiter> {
        lock(&self.by_key)
            .entry(key.to_owned())
            .or_insert_with(|| Arc::new(RateLimiter::new(limit)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_than_n_in_any_window() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: Some(3),
            per_minute: Some(7),
            concurrency: None,
        });
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        for ms in [0, 10, 20] {
            assert_eq!(limiter.try_record(at(ms)), None);
        }
        // A fourth send within the second waits until the first leaves the window.
        assert_eq!(limiter.try_record(at(500)), Some(at(0) + SECOND_WINDOW));
        for ms in [1_020, 1_030, 1_040, 2_100] {
            assert_eq!(limiter.try_record(at(ms)), None, "at {ms} ms");
        }
        // Seven sends in the minute: the eighth waits for the first to leave it.
        assert_eq!(limiter.try_record(at(5_000)), Some(at(0) + MINUTE_WINDOW));
        assert_eq!(limiter.try_record(at(60_100)), None);
    }

    #[tokio::test]
    async fn concurrency_is_bounded() {
        let limiters = RateLimiters::new();
        let limit = RateLimit {
            per_second: None,
            per_minute: None,
            concurrency: Some(2),
        };
        let limiter = limiters.get_or_create("a", limit);
        let same = limiters.get_or_create("a", RateLimit::default());
        assert!(Arc::ptr_eq(&limiter, &same));
        let first = limiter.acquire().await;
        let _second = limiter.acquire().await;
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(
            third.is_err(),
            "a third request got in while two were in flight"
        );
        drop(first);
        limiter.acquire().await;
    }
}
