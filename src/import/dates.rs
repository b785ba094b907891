//! Dates as they appear in Klaviyo exports and event files.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Parses a date or date-time. Accepted: RFC 3339 (`2026-03-01T12:00:00+01:00`),
/// `YYYY-MM-DD HH:MM[:SS[.fff]]` with or without an offset (without: UTC), `YYYY-MM-DD`
/// (midnight UTC), and US `MM/DD/YYYY[ HH:MM[:SS]]` (UTC).
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    const NAIVE: [&str; 6] = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%Y-%m-%dT%H:%M",
    ];
    for format in NAIVE {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    for format in ["%Y-%m-%d", "%m/%d/%Y"] {
        if let Ok(day) = NaiveDate::parse_from_str(text, format) {
            return day.and_hms_opt(0, 0, 0).map(|at| at.and_utc());
        }
    }
    None
}

/// The earliest instant an import accepts: 1970-01-01 UTC. Earlier dates in an export
/// are zeros or typos (`0001-01-01`), not history.
pub const EARLIEST: DateTime<Utc> = DateTime::UNIX_EPOCH;

/// How far past the clock an imported instant may lie: one day, for clocks and time
/// zones written slightly wrong. Imports record what happened; a date further ahead
/// (`9999-12-31`) is refused rather than dated into the future.
pub const MAX_AHEAD: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Checks that an imported instant is plausible (see [`EARLIEST`], [`MAX_AHEAD`]); the
/// one bound every importer applies to timestamps and date columns.
pub fn plausible(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if at < EARLIEST {
        return Err(format!("{} is before 1970", format_date(at)));
    }
    let latest = now
        .checked_add_signed(MAX_AHEAD)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    if at > latest {
        return Err(format!(
            "{} is more than a day in the future (now {}); imports record what happened",
            format_date(at),
            now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    Ok(at)
}

/// The canonical text of a stored date property: RFC 3339 in UTC, seconds precision.
pub fn format_date(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_formats_parse_to_the_same_instant() {
        let expected = "2026-03-01T12:30:00Z";
        for text in [
            "2026-03-01T12:30:00Z",
            "2026-03-01T13:30:00+01:00",
            "2026-03-01 12:30:00",
            "2026-03-01 12:30:00+00:00",
            "2026-03-01 12:30",
            "03/01/2026 12:30",
        ] {
            assert_eq!(
                parse_date(text).map(format_date).as_deref(),
                Some(expected),
                "{text}"
            );
        }
        assert_eq!(
            parse_date("2026-03-01").map(format_date).as_deref(),
            Some("2026-03-01T00:00:00Z")
        );
    }

    #[test]
    fn absurd_instants_are_refused() {
        let now = parse_date("2026-12-01T12:00:00Z").unwrap();
        for ok in ["1970-01-01", "2026-12-02T11:00:00Z", "2026-11-01"] {
            assert!(plausible(parse_date(ok).unwrap(), now).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("9999-12-31", "more than a day in the future"),
            ("2026-12-03", "more than a day in the future"),
            ("0001-01-01", "before 1970"),
        ] {
            let error = plausible(parse_date(bad).unwrap(), now).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn garbage_is_not_a_date() {
        for text in [
            "yesterday",
            "2026-13-01",
            "2026-02-30 10:00:00",
            "",
            "12:00",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }
}
