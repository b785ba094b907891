//! The local wall-clock times a trigger is scheduled at, before time-zone rules apply.
//!
//! A [`Series`] walks scheduled local date-times forwards and backwards, bounded by the
//! trigger's `start` and `end` dates. Turning them into instants (and merging the ones that
//! land on the same instant after a gap) is the job of the iterators in `fires`.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use crate::scenario::compiled::{NodeKind, Schedule};

/// When a schedule-driven trigger is due, in local wall-clock time.
#[derive(Debug, Clone)]
pub enum Series {
    /// Exactly once (`on_date`).
    Once(NaiveDateTime),
    /// Repeatedly (`repeat`), on local dates within `start..=end`.
    Repeat {
        /// Which local times within a day.
        pattern: Pattern,
        /// First local date that may have a fire.
        start: Option<NaiveDate>,
        /// Last local date that may have a fire.
        end: Option<NaiveDate>,
    },
}

/// Local times of a repeat.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Every day at this local time.
    Daily(NaiveTime),
    /// A 5-field cron expression evaluated on local wall-clock time.
    Cron(Box<Cron>),
}

impl Series {
    /// The series of a trigger node; `None` for nodes that are not schedule-driven (and for
    /// a cron expression that does not parse, which the scenario checker already rejects).
    pub fn of(kind: &NodeKind) -> Option<Series> {
        match kind {
            NodeKind::OnDate(on_date) => Some(Series::Once(on_date.at)),
            NodeKind::Repeat(repeat) => {
                let pattern = match &repeat.schedule {
                    Schedule::Daily(time) => Pattern::Daily(*time),
                    Schedule::Cron(expression) => match parse_cron(expression) {
                        Ok(cron) => Pattern::Cron(Box::new(cron)),
                        Err(error) => {
                            tracing::error!(%expression, %error, "cron expression does not parse; the trigger never fires");
                            return None;
                        }
                    },
                };
                Some(Series::Repeat {
                    pattern,
                    start: repeat.start,
                    end: repeat.end,
                })
            }
            _ => None,
        }
    }

    /// The first scheduled local time strictly after `after`.
    pub fn next_after(&self, after: NaiveDateTime) -> Option<NaiveDateTime> {
        match self {
            Series::Once(at) => (*at > after).then_some(*at),
            Series::Repeat {
                pattern,
                start,
                end,
            } => {
                let after = match start.and_then(eve_of) {
                    Some(eve) => after.max(eve),
                    None => after,
                };
                let next = pattern.next_after(after)?;
                match end {
                    Some(end) if next.date() > *end => None,
                    _ => Some(next),
                }
            }
        }
    }

    /// The last scheduled local time strictly before `before`.
    pub fn prev_before(&self, before: NaiveDateTime) -> Option<NaiveDateTime> {
        match self {
            Series::Once(at) => (*at < before).then_some(*at),
            Series::Repeat {
                pattern,
                start,
                end,
            } => {
                let before = match end.and_then(|d| d.succ_opt()) {
                    Some(next_day) => before.min(next_day.and_time(NaiveTime::MIN)),
                    None => before,
                };
                let prev = pattern.prev_before(before)?;
                match start {
                    Some(start) if prev.date() < *start => None,
                    _ => Some(prev),
                }
            }
        }
    }

    /// Where counting fires starts: just before the `start` date, if there is one.
    pub fn counting_floor(&self) -> Option<NaiveDateTime> {
        match self {
            Series::Repeat {
                start: Some(start), ..
            } => eve_of(*start),
            _ => None,
        }
    }

    /// Whether fires are numbered (`day`): repeats are, `on_date` is not.
    pub fn counts_days(&self) -> bool {
        matches!(self, Series::Repeat { .. })
    }
}

impl Pattern {
    fn next_after(&self, after: NaiveDateTime) -> Option<NaiveDateTime> {
        match self {
            Pattern::Daily(time) => {
                let date = if after.time() < *time {
                    after.date()
                } else {
                    after.date().checked_add_days(Days::new(1))?
                };
                Some(date.and_time(*time))
            }
            Pattern::Cron(cron) => cron
                .find_next_occurrence(&as_utc(after), false)
                .ok()
                .map(|t| t.naive_utc()),
        }
    }

    fn prev_before(&self, before: NaiveDateTime) -> Option<NaiveDateTime> {
        match self {
            Pattern::Daily(time) => {
                let date = if before.time() > *time {
                    before.date()
                } else {
                    before.date().checked_sub_days(Days::new(1))?
                };
                Some(date.and_time(*time))
            }
            Pattern::Cron(cron) => cron
                .find_previous_occurrence(&as_utc(before), false)
                .ok()
                .map(|t| t.naive_utc()),
        }
    }
}

/// The last second before `date` begins.
fn eve_of(date: NaiveDate) -> Option<NaiveDateTime> {
    date.and_time(NaiveTime::MIN)
        .checked_sub_signed(chrono::Duration::seconds(1))
}

/// Cron is evaluated on wall-clock readings: UTC has no gaps or folds, so croner's own
/// time-zone handling stays out of the way and ours applies.
fn as_utc(local: NaiveDateTime) -> DateTime<Utc> {
    local.and_utc()
}

/// Parses a 5-field cron expression the way the scenario checker validates it.
pub fn parse_cron(expression: &str) -> Result<Cron, croner::errors::CronError> {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(expression)
}
