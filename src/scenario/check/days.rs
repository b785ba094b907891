//! The values of `day` that reach a node: triggers without `day` (on_date, on_event),
//! a bounded `repeat` (days 1..=N, N counted from its schedule between `start` and
//! `end`), or an unbounded one. Plan tables and e-mail template names are checked
//! against them.

use chrono::{Days as ChronoDays, NaiveDate, TimeZone};
use chrono_tz::Tz;

use crate::scenario::compiled::{NodeKind, Schedule};
use crate::scenario::time::parse_cron;

/// Most fires of one bounded `repeat` trigger that checks enumerate (ten years, daily).
const MAX_DAYS: usize = 3_660;

/// Which values of `day` reach a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Days {
    /// Only triggers without `day` (on_date, on_event).
    NoDay,
    /// Days 1..=N.
    Bounded(usize),
    /// A repeat trigger without `start` or `end`: any day.
    Unbounded,
}

impl Days {
    /// What two triggers reaching one node produce together.
    pub fn union(self, other: Days) -> Days {
        match (self, other) {
            (Days::Unbounded, _) | (_, Days::Unbounded) => Days::Unbounded,
            (Days::Bounded(a), Days::Bounded(b)) => Days::Bounded(a.max(b)),
            (Days::Bounded(a), Days::NoDay) | (Days::NoDay, Days::Bounded(a)) => Days::Bounded(a),
            (Days::NoDay, Days::NoDay) => Days::NoDay,
        }
    }
}

/// The days a trigger produces; `None` for non-triggers.
pub fn trigger_days(kind: &NodeKind, tz: Tz) -> Option<Days> {
    match kind {
        NodeKind::OnDate(_) | NodeKind::OnEvent(_) => Some(Days::NoDay),
        NodeKind::Repeat(repeat) => Some(match (repeat.start, repeat.end) {
            (Some(start), Some(end)) => Days::Bounded(fires(&repeat.schedule, start, end, tz)),
            _ => Days::Unbounded,
        }),
        _ => None,
    }
}

/// How many times a schedule fires from `start` to `end` (inclusive dates).
pub fn fires(schedule: &Schedule, start: NaiveDate, end: NaiveDate, tz: Tz) -> usize {
    let days = usize::try_from((end - start).num_days() + 1).unwrap_or(0);
    let Schedule::Cron(text) = schedule else {
        return days.min(MAX_DAYS);
    };
    let (Ok(cron), Some(after_end)) = (parse_cron(text), end.checked_add_days(ChronoDays::new(1)))
    else {
        return 0;
    };
    let local = |date: NaiveDate| {
        date.and_hms_opt(0, 0, 0)
            .and_then(|t| tz.from_local_datetime(&t).earliest())
    };
    let (Some(from), Some(until)) = (local(start), local(after_end)) else {
        return 0;
    };
    cron.iter_from(from, croner::Direction::Forward)
        .take_while(|t| *t < until)
        .take(MAX_DAYS)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_and_cron_schedules_count_their_fires() {
        let date = |text| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        let (start, end) = (date("2026-12-01"), date("2026-12-31"));
        let daily = Schedule::Daily(chrono::NaiveTime::MIN);
        assert_eq!(fires(&daily, start, end, chrono_tz::UTC), 31);
        let mondays = Schedule::Cron("0 9 * * 1".into());
        assert_eq!(fires(&mondays, start, end, chrono_tz::Europe::Prague), 4);
        assert_eq!(Days::Bounded(3).union(Days::NoDay), Days::Bounded(3));
        assert_eq!(Days::Bounded(3).union(Days::Unbounded), Days::Unbounded);
    }
}
