//! When to try again: exponential backoff with jitter, bounded in attempts and total time,
//! never sooner than the server's `Retry-After`.

use std::time::Duration;

use rand::Rng;

use super::duration::{parse_duration, DurationError};
use crate::scenario::model::Retry;

/// A resolved retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff after the first failed attempt; doubles after each further one.
    pub initial_backoff: Duration,
    /// Longest computed backoff (a server's `Retry-After` may ask for more).
    pub max_backoff: Duration,
    /// No attempt starts later than this after the first one.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The policy a scenario node asks for, with defaults for what it leaves out.
    pub fn from_model(retry: Option<&Retry>) -> Result<Self, DurationError> {
        let default = Self::default();
        let Some(retry) = retry else {
            return Ok(default);
        };
        Ok(Self {
            max_attempts: retry.max_attempts.unwrap_or(default.max_attempts).max(1),
            initial_backoff: parse_duration(
                "retry.initial_backoff",
                retry.initial_backoff.as_deref(),
                default.initial_backoff,
            )?,
            max_backoff: parse_duration(
                "retry.max_backoff",
                retry.max_backoff.as_deref(),
                default.max_backoff,
            )?,
            max_elapsed: parse_duration(
                "retry.max_elapsed",
                retry.max_elapsed.as_deref(),
                default.max_elapsed,
            )?,
        })
    }

    /// How long to wait after `attempts` failed attempts, `elapsed` after the first began;
    /// `None` when the policy gives up.
    pub fn next_delay(
        &self,
        attempts: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let exponent = attempts.saturating_sub(1).min(30);
        let base = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        // "Equal jitter": half fixed, half random, so retries of many callers spread out
        // but none comes back immediately.
        let half = base / 2;
        let jitter = rand::rng().random_range(0..=half.as_micros() as u64);
        let delay = (half + Duration::from_micros(jitter)).max(retry_after.unwrap_or_default());
        (elapsed + delay <= self.max_elapsed).then_some(delay)
    }
}

/// Reads a `Retry-After` value: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (date.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_bounds_and_gives_up() {
        let policy = RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            max_elapsed: Duration::from_secs(10),
        };
        for _ in 0..50 {
            let first = policy.next_delay(1, Duration::ZERO, None).unwrap();
            assert!((50..=100).contains(&first.as_millis()), "{first:?}");
            let second = policy.next_delay(2, Duration::ZERO, None).unwrap();
            assert!((100..=200).contains(&second.as_millis()), "{second:?}");
            let capped = policy.next_delay(3, Duration::ZERO, None).unwrap();
            assert!((150..=300).contains(&capped.as_millis()), "{capped:?}");
        }
        assert_eq!(policy.next_delay(4, Duration::ZERO, None), None);
        let honoured = policy.next_delay(1, Duration::ZERO, Some(Duration::from_secs(2)));
        assert_eq!(honoured, Some(Duration::from_secs(2)));
        assert_eq!(
            policy.next_delay(1, Duration::from_secs(9), Some(Duration::from_secs(2))),
            None
        );
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 00:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn model_durations_are_checked() {
        let retry = Retry {
            max_attempts: Some(2),
            initial_backoff: Some("10ms".into()),
            max_backoff: Some("nope".into()),
            max_elapsed: None,
        };
        let error = RetryPolicy::from_model(Some(&retry)).unwrap_err();
        assert!(error.to_string().contains("retry.max_backoff"));
    }
}
