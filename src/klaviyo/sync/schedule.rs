//! How often `warmup run` syncs: the project's `klaviyo.sync` intervals, checked.

use std::time::Duration;

use crate::project::SyncIntervals;

/// The shortest interval allowed.
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);

/// Checked sync intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncSchedule {
    /// Profiles (default 24 h).
    pub profiles: Duration,
    /// Consent and campaign events (default 2 h).
    pub events: Duration,
    /// List reconciliation (default 24 h).
    pub reconcile: Duration,
}

/// A bad interval, naming the field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("klaviyo.sync.{field}: {message}")]
pub struct ScheduleError {
    /// `profiles`, `events` or `reconcile`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Default for SyncSchedule {
    fn default() -> Self {
        Self {
            profiles: Duration::from_secs(24 * 3600),
            events: Duration::from_secs(2 * 3600),
            reconcile: Duration::from_secs(24 * 3600),
        }
    }
}

fn interval(
    field: &'static str,
    text: Option<&str>,
    default: Duration,
) -> Result<Duration, ScheduleError> {
    let Some(text) = text else {
        return Ok(default);
    };
    let value = humantime::parse_duration(text).map_err(|e| ScheduleError {
        field,
        message: format!("`{text}` is not a duration like `2h` or `30m`: {e}"),
    })?;
    if value < MIN_INTERVAL {
        return Err(ScheduleError {
            field,
            message: format!("`{text}` is shorter than the minimum of 1m"),
        });
    }
    Ok(value)
}

impl SyncSchedule {
    /// The schedule a project asks for.
    pub fn from_config(config: &SyncIntervals) -> Result<Self, ScheduleError> {
        let default = Self::default();
        Ok(Self {
            profiles: interval("profiles", config.profiles.as_deref(), default.profiles)?,
            events: interval("events", config.events.as_deref(), default.events)?,
            reconcile: interval("reconcile", config.reconcile.as_deref(), default.reconcile)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_the_one_minute_floor() {
        let none = SyncIntervals::default();
        assert_eq!(
            SyncSchedule::from_config(&none).unwrap(),
            SyncSchedule::default()
        );
        let config = SyncIntervals {
            profiles: Some("1m".into()),
            events: Some("15m".into()),
            reconcile: None,
        };
        let schedule = SyncSchedule::from_config(&config).unwrap();
        assert_eq!(schedule.events, Duration::from_secs(900));
        let too_fast = SyncIntervals {
            events: Some("30s".into()),
            ..SyncIntervals::default()
        };
        let error = SyncSchedule::from_config(&too_fast).unwrap_err();
        assert_eq!(
            error.to_string(),
            "klaviyo.sync.events: `30s` is shorter than the minimum of 1m"
        );
        let garbage = SyncIntervals {
            profiles: Some("daily".into()),
            ..SyncIntervals::default()
        };
        assert_eq!(
            SyncSchedule::from_config(&garbage).unwrap_err().field,
            "profiles"
        );
    }
}
