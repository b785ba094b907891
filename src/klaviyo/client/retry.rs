//! Retry policy: exponential backoff with jitter for 429 (honouring `Retry-After`), 5xx and
//! connection errors.

use std::time::Duration;

use rand::Rng;

/// How often and how long to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Delay before the first retry (doubled each time).
    pub base_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0-based): at least `Retry-After` when the server
    /// gave one, else the exponential delay with "equal jitter" (half fixed, half random).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.min(20)))
            .min(self.max_delay);
        let half = exponential / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis() as u64);
        let backoff = half + Duration::from_millis(jitter);
        match retry_after {
            // Spread clients that were all told the same second over a short interval.
            Some(after) => after.min(self.max_delay) + Duration::from_millis(jitter % 250),
            None => backoff,
        }
    }
}

/// Whether an HTTP status is worth retrying.
pub fn retryable_status(status: u16) -> bool {
    status == 429 || status == 408 || (500..600).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_respect_retry_after_and_the_cap() {
        let policy = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        };
        for retry in 0..10 {
            let d = policy.delay(retry, None);
            let full = Duration::from_millis(100 * 2u64.pow(retry)).min(Duration::from_secs(2));
            assert!(d >= full / 2 && d <= full, "retry {retry}: {d:?}");
        }
        let d = policy.delay(0, Some(Duration::from_secs(1)));
        assert!(d >= Duration::from_secs(1) && d < Duration::from_millis(1250));
        assert!(retryable_status(429) && retryable_status(503) && !retryable_status(401));
    }
}
