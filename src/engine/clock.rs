//! Where the engine gets "now" from.
//!
//! Everything time-dependent in the engine asks a [`Clock`] instead of calling
//! [`Utc::now`] directly, so a simulation can run fourteen days in seconds on a
//! [`VirtualClock`] and tests can pin the instant they assert about.

use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// A source of the current instant.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// Real time, from the operating system.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to: simulations and tests set or advance it.
///
/// It is shared between tasks (`Arc<VirtualClock>`); every reader sees the last value set.
#[derive(Debug)]
pub struct VirtualClock {
    now: Mutex<DateTime<Utc>>,
}

impl VirtualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock to `t` (also backwards: tests of clock skew may need it).
    pub fn set(&self, t: DateTime<Utc>) {
        *self.lock() = t;
    }

    /// Moves the clock by `d`; saturates at the end of representable time instead of panicking.
    pub fn advance(&self, d: Duration) {
        let mut now = self.lock();
        *now = now
            .checked_add_signed(d)
            .unwrap_or(if d < Duration::zero() {
                DateTime::<Utc>::MIN_UTC
            } else {
                DateTime::<Utc>::MAX_UTC
            });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A DateTime is always valid, so a panic in another holder cannot leave it torn.
        self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;

    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn virtual_clock_moves_only_when_told() {
        let clock = VirtualClock::new(at(8));
        assert_eq!(clock.now(), at(8));
        assert_eq!(clock.now(), at(8));
        clock.advance(Duration::hours(2));
        assert_eq!(clock.now(), at(10));
        clock.set(at(3));
        assert_eq!(clock.now(), at(3));
    }

    #[test]
    fn virtual_clock_is_shared_between_holders() {
        let clock = Arc::new(VirtualClock::new(at(0)));
        let other: Arc<dyn Clock> = clock.clone();
        clock.advance(Duration::minutes(90));
        assert_eq!(other.now(), at(1) + Duration::minutes(30));
    }

    #[test]
    fn advance_saturates_instead_of_overflowing() {
        let clock = VirtualClock::new(DateTime::<Utc>::MAX_UTC - Duration::days(1));
        clock.advance(Duration::days(400));
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
        clock.set(DateTime::<Utc>::MIN_UTC + Duration::days(1));
        clock.advance(Duration::days(-400));
        assert_eq!(clock.now(), DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn system_clock_is_close_to_real_time() {
        let before = Utc::now();
        let now = SystemClock.now();
        assert!(now >= before);
        assert!(now - before < Duration::minutes(1));
    }
}
