//! Pacing by the `RateLimit-*` headers: spread the remaining requests of the steady window
//! over the time left in it, so a client on its own never hits 429.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;

/// Earliest next request per rate-limit bucket.
#[derive(Debug, Default)]
pub struct Pacer {
    next: Mutex<HashMap<String, Instant>>,
}

/// The bucket of an API path: its first segment after `/api/` (`profiles`, `events`, …).
pub fn bucket_of(path: &str) -> String {
    let rest = path.trim_start_matches('/').trim_start_matches("api/");
    let first = rest.split('/').next().unwrap_or("");
    let nested = rest.split('/').nth(2).unwrap_or("");
    format!("{first}/{nested}")
}

impl Pacer {
    /// How long to wait before sending to `bucket`.
    pub fn wait_for(&self, bucket: &str) -> Duration {
        let next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        next.get(bucket).map_or(Duration::ZERO, |at| {
            at.saturating_duration_since(Instant::now())
        })
    }

    /// Learns from a response's headers when the next request may go.
    pub fn observe(&self, bucket: &str, headers: &HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        let (Some(remaining), Some(reset)) =
            (number("RateLimit-Remaining"), number("RateLimit-Reset"))
        else {
            return;
        };
        let spacing = Duration::from_secs_f64((reset.max(0.0)) / (remaining.max(0.0) + 1.0));
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        next.insert(bucket.to_owned(), Instant::now() + spacing);
    }

    /// After a 429: nothing goes to `bucket` before `after` has passed.
    pub fn hold(&self, bucket: &str, after: Duration) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        next.insert(bucket.to_owned(), Instant::now() + after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_spreads_the_remaining_requests_over_the_window() {
        let pacer = Pacer::default();
        let mut headers = HeaderMap::new();
        headers.insert("RateLimit-Remaining", "9".parse().unwrap());
        headers.insert("RateLimit-Reset", "10".parse().unwrap());
        pacer.observe("profiles/", &headers);
        let wait = pacer.wait_for("profiles/");
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        assert_eq!(pacer.wait_for("events/"), Duration::ZERO);
        assert_eq!(
            bucket_of("/api/lists/X/relationships/profiles/"),
            "lists/relationships"
        );
    }
}
