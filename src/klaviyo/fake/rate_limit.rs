//! Klaviyo's rate limits: per account and endpoint, a fixed 1-second burst window and a
//! fixed 60-second steady window; exceeding either gives 429 with `Retry-After`.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Klaviyo's rate-limit tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// 1/s, 15/m.
    XS,
    /// 3/s, 60/m.
    S,
    /// 10/s, 150/m.
    M,
    /// 75/s, 750/m (revision 2026-01-15 onwards).
    L,
    /// 350/s, 3500/m.
    XL,
}

impl Tier {
    /// All tiers.
    pub const ALL: [Tier; 5] = [Tier::XS, Tier::S, Tier::M, Tier::L, Tier::XL];

    /// Klaviyo's published limits for this tier.
    pub fn real_limits(self) -> TierLimits {
        let (burst, steady) = match self {
            Self::XS => (1, 15),
            Self::S => (3, 60),
            Self::M => (10, 150),
            Self::L => (75, 750),
            Self::XL => (350, 3500),
        };
        TierLimits { burst, steady }
    }
}

impl FromStr for Tier {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_uppercase().as_str() {
            "XS" => Ok(Self::XS),
            "S" => Ok(Self::S),
            "M" => Ok(Self::M),
            "L" => Ok(Self::L),
            "XL" => Ok(Self::XL),
            _ => Err(format!(
                "unknown tier `{text}` (expected XS, S, M, L or XL)"
            )),
        }
    }
}

/// Requests allowed per burst (1 s) and steady (60 s) window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierLimits {
    /// Per second.
    pub burst: u32,
    /// Per minute.
    pub steady: u32,
}

/// The fake's rate-limit configuration: `None` for a tier means unlimited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    tiers: BTreeMap<Tier, TierLimits>,
}

impl RateLimits {
    /// No limits at all.
    pub fn off() -> Self {
        Self::default()
    }

    /// Klaviyo's real tiers.
    pub fn real() -> Self {
        Self {
            tiers: Tier::ALL.iter().map(|&t| (t, t.real_limits())).collect(),
        }
    }

    /// The same limits for every tier (tests that want 429 quickly).
    pub fn uniform(burst: u32, steady: u32) -> Self {
        Self {
            tiers: Tier::ALL
                .iter()
                .map(|&t| (t, TierLimits { burst, steady }))
                .collect(),
        }
    }

    /// Overrides one tier.
    pub fn with_tier(mut self, tier: Tier, limits: TierLimits) -> Self {
        self.tiers.insert(tier, limits);
        self
    }

    /// The limits of a tier, if it is limited.
    pub fn limits(&self, tier: Tier) -> Option<TierLimits> {
        self.tiers.get(&tier).copied()
    }
}

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed; the steady window's `RateLimit-*` values.
    Allowed {
        /// `RateLimit-Limit`.
        limit: u32,
        /// `RateLimit-Remaining`.
        remaining: u32,
        /// `RateLimit-Reset` in seconds.
        reset: u64,
    },
    /// Not limited at all (no headers).
    Unlimited,
    /// Throttled; `Retry-After` seconds.
    Throttled(u64),
}

#[derive(Debug)]
struct Window {
    start: Instant,
    count: u32,
}

impl Window {
    /// Counts a request if the window (restarted when `length` has passed) has room.
    fn admit(&mut self, now: Instant, length: Duration, max: u32) -> Result<u32, Duration> {
        if now.duration_since(self.start) >= length {
            self.start = now;
            self.count = 0;
        }
        if self.count >= max {
            return Err(length.saturating_sub(now.duration_since(self.start)));
        }
        self.count += 1;
        Ok(max - self.count)
    }

    fn reset_in(&self, now: Instant, length: Duration) -> Duration {
        length.saturating_sub(now.duration_since(self.start))
    }
}

/// Fixed-window counters per bucket (an endpoint group of one account).
#[derive(Debug)]
pub struct RateLimiter {
    limits: RateLimits,
    windows: HashMap<&'static str, (Window, Window)>,
}

impl RateLimiter {
    /// A limiter with these limits.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            windows: HashMap::new(),
        }
    }

    /// Decides a request to `bucket`, an endpoint group limited at `tier`.
    pub fn check(&mut self, bucket: &'static str, tier: Tier, now: Instant) -> Decision {
        let Some(limits) = self.limits.limits(tier) else {
            return Decision::Unlimited;
        };
        let (burst, steady) = self.windows.entry(bucket).or_insert_with(|| {
            let fresh = || Window {
                start: now,
                count: 0,
            };
            (fresh(), fresh())
        });
        let second = Duration::from_secs(1);
        let minute = Duration::from_secs(60);
        // Check both before counting, so a throttled request uses up neither window.
        if burst.count >= limits.burst && now.duration_since(burst.start) < second {
            return Decision::Throttled(1);
        }
        if steady.count >= limits.steady && now.duration_since(steady.start) < minute {
            let wait = steady.reset_in(now, minute);
            return Decision::Throttled(wait.as_secs_f64().ceil().max(1.0) as u64);
        }
        let _ = burst.admit(now, second, limits.burst);
        match steady.admit(now, minute, limits.steady) {
            Ok(remaining) => Decision::Allowed {
                limit: limits.steady,
                remaining,
                reset: steady.reset_in(now, minute).as_secs_f64().ceil() as u64,
            },
            Err(wait) => Decision::Throttled(wait.as_secs().max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_window_throttles_then_reopens_after_a_second() {
        let mut limiter = RateLimiter::new(RateLimits::uniform(2, 100));
        let t0 = Instant::now();
        assert!(matches!(
            limiter.check("p", Tier::L, t0),
            Decision::Allowed {
                remaining: 99,
                limit: 100,
                ..
            }
        ));
        assert!(matches!(
            limiter.check("p", Tier::L, t0),
            Decision::Allowed { .. }
        ));
        assert_eq!(limiter.check("p", Tier::L, t0), Decision::Throttled(1));
        // Another bucket has its own windows.
        assert!(matches!(
            limiter.check("q", Tier::L, t0),
            Decision::Allowed { .. }
        ));
        let later = t0 + Duration::from_millis(1001);
        assert!(matches!(
            limiter.check("p", Tier::L, later),
            Decision::Allowed { remaining: 97, .. }
        ));
    }

    #[test]
    fn steady_window_gives_seconds_until_the_minute_ends() {
        let mut limiter = RateLimiter::new(RateLimits::uniform(100, 3));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(matches!(
                limiter.check("p", Tier::M, t0),
                Decision::Allowed { .. }
            ));
        }
        let at = t0 + Duration::from_secs(20);
        assert_eq!(limiter.check("p", Tier::M, at), Decision::Throttled(40));
    }

    #[test]
    fn off_means_unlimited() {
        let mut limiter = RateLimiter::new(RateLimits::off());
        assert_eq!(
            limiter.check("p", Tier::XS, Instant::now()),
            Decision::Unlimited
        );
    }
}
