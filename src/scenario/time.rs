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

/// A duration such as `500ms`, `30s`, `5m`, `2h`, `1d`, `1h 30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|error| format!("`{text}` is not a duration (e.g. `30m`, `2h`, `1d`): {error}"))
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
