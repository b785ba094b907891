//! Walking a [`Series`] as instants: forwards from an instant, backwards from "now", and
//! numbering fires (`day`).
//!
//! Several scheduled local times can resolve to one instant (every minute of a
//! spring-forward gap resolves to the end of the gap); they are one fire. Since
//! [`resolve_local`] is monotonic, merging them only needs the last instant seen.

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::local::{local_of, resolve_local};
use super::series::Series;

/// A fire found on a series: the scheduled local time and the instant it runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The scheduled local time (the first one, if several merge into this instant).
    pub local: NaiveDateTime,
    /// When it runs.
    pub at: DateTime<Utc>,
}

/// Fires strictly after a floor instant, in order, each instant once.
#[derive(Debug)]
pub struct Forward<'a> {
    series: &'a Series,
    tz: Tz,
    cursor: NaiveDateTime,
    floor: DateTime<Utc>,
}

impl<'a> Forward<'a> {
    /// Fires strictly after `after`.
    ///
    /// Every local time up to `after`'s own wall-clock reading resolves to `after` or
    /// earlier (monotonicity, and an ambiguous reading resolves to its earlier instant), so
    /// the walk can start right there.
    pub fn after(series: &'a Series, tz: Tz, after: DateTime<Utc>) -> Self {
        Self {
            series,
            tz,
            cursor: local_of(tz, after),
            floor: after,
        }
    }

    /// The fires that count towards `day`: from the `start` date if there is one (fires
    /// before `origin` included), else those after `origin`.
    pub fn counting(series: &'a Series, tz: Tz, origin: DateTime<Utc>) -> Self {
        match series.counting_floor() {
            Some(cursor) => Self {
                series,
                tz,
                cursor,
                floor: DateTime::<Utc>::MIN_UTC,
            },
            None => Self::after(series, tz, origin),
        }
    }
}

impl Iterator for Forward<'_> {
    type Item = Found;

    fn next(&mut self) -> Option<Found> {
        loop {
            let local = self.series.next_after(self.cursor)?;
            self.cursor = local;
            let at = resolve_local(self.tz, local);
            if at > self.floor {
                self.floor = at;
                return Some(Found { local, at });
            }
        }
    }
}

/// The latest fire in `(floor, now]`.
pub fn latest(series: &Series, tz: Tz, floor: DateTime<Utc>, now: DateTime<Utc>) -> Option<Found> {
    let reading = latest_reading(tz, now);
    let mut cursor = reading
        .checked_add_signed(Duration::seconds(1))
        .unwrap_or(reading);
    loop {
        let local = series.prev_before(cursor)?;
        cursor = local;
        let at = resolve_local(tz, local);
        if at > now {
            continue;
        }
        if at <= floor {
            return None;
        }
        return Some(Found {
            local: first_reading_of(series, tz, local, at),
            at,
        });
    }
}

/// The latest wall-clock reading that can resolve to `now` or earlier: after clocks fell
/// back, readings ahead of the current one still have their (earlier) first instant in the
/// past. Offsets of the last 26 hours bound that.
fn latest_reading(tz: Tz, now: DateTime<Utc>) -> NaiveDateTime {
    let largest_offset = (0..=52)
        .filter_map(|half_hours| now.checked_sub_signed(Duration::minutes(30 * half_hours)))
        .map(|t| {
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc()
        })
        .max()
        .unwrap_or(0);
    now.naive_utc()
        .checked_add_signed(Duration::seconds(i64::from(largest_offset)))
        .unwrap_or(NaiveDateTime::MAX)
}

/// The earliest scheduled reading that merges into the instant `at` (walking backwards
/// finds the last one first).
fn first_reading_of(
    series: &Series,
    tz: Tz,
    mut local: NaiveDateTime,
    at: DateTime<Utc>,
) -> NaiveDateTime {
    while let Some(prev) = series.prev_before(local) {
        if resolve_local(tz, prev) != at {
            break;
        }
        local = prev;
    }
    local
}

/// The `day` of the fire at `at`: how many counting fires there are up to and including it.
/// `None` for triggers without days (`on_date`).
///
/// Costs one step per earlier fire; a daily repeat over years is a few hundred steps.
pub fn day_of(series: &Series, tz: Tz, origin: DateTime<Utc>, at: DateTime<Utc>) -> Option<u32> {
    if !series.counts_days() {
        return None;
    }
    let count = Forward::counting(series, tz, origin)
        .take_while(|found| found.at <= at)
        .count();
    Some(u32::try_from(count).unwrap_or(u32::MAX))
}
