//! Durations written in project and scenario files (`500ms`, `30s`, `5m`).

use std::time::Duration;

use crate::scenario::time::MAX_DURATION;

/// A duration that does not parse, naming the field it came from.
#[derive(Debug, thiserror::Error)]
#[error("`{field}`: invalid duration `{value}` (write e.g. `500ms`, `30s`, `5m`): {message}")]
pub struct DurationError {
    /// The field, e.g. `retry.max_backoff`.
    pub field: String,
    /// The value as written.
    pub value: String,
    /// Why it does not parse.
    pub message: String,
}

/// Parses `value` (humantime syntax, at most [`MAX_DURATION`], the bound `validate`
/// checks) or returns `default` when absent.
pub fn parse_duration(
    field: &str,
    value: Option<&str>,
    default: Duration,
) -> Result<Duration, DurationError> {
    match value {
        None => Ok(default),
        Some(text) => {
            crate::scenario::time::parse_bounded_duration(text, MAX_DURATION).map_err(|problem| {
                DurationError {
                    field: field.to_owned(),
                    value: text.to_owned(),
                    message: problem.message().to_owned(),
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_the_field() {
        let d = parse_duration("timeout", Some("250ms"), Duration::ZERO).unwrap();
        assert_eq!(d, Duration::from_millis(250));
        assert_eq!(
            parse_duration("timeout", None, Duration::from_secs(3)).unwrap(),
            Duration::from_secs(3)
        );
        let error = parse_duration("retry.max_backoff", Some("soon"), Duration::ZERO).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("`retry.max_backoff`: invalid duration `soon`"));
    }
}
