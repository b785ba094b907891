//! Parsing of the time values scenarios write: time zones, local dates, date-times
//! and times of day, durations (`30m`, `2h`, `1d`) and cron expressions.
//!
//! The engine uses the same functions, so what validates is what runs.

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

/// An IANA time zone name, e.g. `Europe/Prague`.
pub fn parse_timezone(text: &str) -> Result<Tz, String> {
    text.parse::<Tz>()
        .map_err(|_| format!("`{text}` is not an IANA time zone name (e.g. `Europe/Prague`)"))
}

/// A date `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|error| format!("`{text}` is not a date `YYYY-MM-DD`: {error}"))
}

/// A local date-time `YYYY-MM-DDTHH:MM`, seconds optional (a space may stand for `T`).
pub fn parse_local_datetime(text: &str) -> Result<NaiveDateTime, String> {
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ];
    FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .ok_or_else(|| format!("`{text}` is not a local date-time `YYYY-MM-DDTHH:MM`"))
}

/// A local time of day `HH:MM`, seconds optional.
pub fn parse_time_of_day(text: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .map_err(|_| format!("`{text}` is not a time of day `HH:MM`"))
}

/// The longest duration a file may write, except history windows: 366 days. A wait of
/// a year covers an annual campaign; anything longer is a typo (`100000000d`), and
/// bounding it keeps every instant the engine computes far inside the calendar.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 86_400);

/// The longest history window (`within`, `after: 30d`): 3,660 days (ten years), enough
/// for "has not bought in five years".
pub const MAX_WINDOW: Duration = Duration::from_secs(3_660 * 86_400);

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationProblem {
    /// The text is not a duration.
    Syntax(String),
    /// A duration, but longer than the bound of its field.
    TooLong(String),
}

impl DurationProblem {
    /// The message.
    pub fn message(&self) -> &str {
        match self {
            Self::Syntax(message) | Self::TooLong(message) => message,
        }
    }
}

/// A duration such as `500ms`, `30s`, `5m`, `2h`, `1d`, `1h 30m`, at most
/// [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    parse_bounded_duration(text, MAX_DURATION).map_err(|problem| problem.message().to_owned())
}

/// A duration of at most `max`; values too large for any clock are [`DurationProblem::TooLong`]
/// too, never wrapped or zeroed.
pub fn parse_bounded_duration(text: &str, max: Duration) -> Result<Duration, DurationProblem> {
    let too_long = || {
        DurationProblem::TooLong(format!(
            "`{}` is longer than the longest allowed, {}",
            text.trim(),
            describe_bound(max)
        ))
    };
    match humantime::parse_duration(text.trim()) {
        Ok(duration) if duration <= max => Ok(duration),
        Ok(_) => Err(too_long()),
        // humantime also says "overflow" for precision below 1ns, which a fraction shows.
        Err(humantime::DurationError::NumberOverflow) if !text.contains('.') => Err(too_long()),
        Err(error) => Err(DurationProblem::Syntax(format!(
            "`{text}` is not a duration (e.g. `30m`, `2h`, `1d`): {error}"
        ))),
    }
}

/// `366 days` for a bound of whole days.
fn describe_bound(max: Duration) -> String {
    let days = max.as_secs() / 86_400;
    format!("{days} days (`{days}d`)")
}

/// A 5-field cron expression: minute hour day-of-month month day-of-week.
pub fn parse_cron(text: &str) -> Result<Cron, String> {
    let fields = text.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "`{text}` has {fields} fields; a cron expression has 5: minute hour day-of-month month day-of-week"
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(text)
        .map_err(|error| format!("`{text}` is not a valid cron expression: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_days() {
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5_400)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn durations_are_bounded_and_overflow_is_never_zero() {
        assert_eq!(parse_duration("366d"), Ok(MAX_DURATION));
        for text in [
            "367d",
            "100000000d",
            "99999999999999999999999d",
            "1000000000000000000s",
        ] {
            let problem = parse_bounded_duration(text, MAX_DURATION).unwrap_err();
            assert!(
                matches!(&problem, DurationProblem::TooLong(m) if m.contains("366 days")),
                "{text}: {problem:?}"
            );
        }
        assert_eq!(parse_bounded_duration("3660d", MAX_WINDOW), Ok(MAX_WINDOW));
        assert!(matches!(
            parse_bounded_duration("5 minutes please", MAX_DURATION),
            Err(DurationProblem::Syntax(_))
        ));
    }

    #[test]
    fn dates_times_zones_and_cron() {
        assert!(parse_timezone("Europe/Prague").is_ok());
        assert!(parse_timezone("Europe/Atlantis").is_err());
        assert!(parse_date("2026-02-30").is_err());
        assert_eq!(
            parse_local_datetime("2026-12-01T00:00").map(|d| d.to_string()),
            Ok("2026-12-01 00:00:00".into())
        );
        assert!(parse_time_of_day("25:00").is_err());
        assert!(parse_cron("0 9 * * 1-5").is_ok());
        assert!(parse_cron("0 0 9 * * 1-5").is_err());
        assert!(parse_cron("0 25 * * *").is_err());
    }
}
