//! What a tick owes a schedule-driven trigger: the fire to run now, and the fires it will
//! never run (missed while the engine was down), to be reported.
//!
//! A tick at `now` looks at the fires in `(floor, now]`, where `floor` is the latest of the
//! activation instant, the last fire that ran and the last fire reported missed, so nothing
//! is run or reported twice. Under `catch_up: run` the most recent of them runs (once) and
//! the older ones are missed; under `catch_up: skip` the most recent runs only while it is at
//! most the tolerance old, and everything else is missed.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::fires::{latest, Forward};
use super::series::Series;
use super::{catch_up_of, numbered, Fire};
use crate::scenario::compiled::NodeKind;
use crate::scenario::model::CatchUp;

/// The fires of one trigger a tick must deal with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owed {
    /// The fire to run now (its instant is the run's logical "now").
    pub run: Option<Fire>,
    /// How many fires in the window will never run.
    pub missed: u32,
    /// The latest of them.
    pub last_missed: Option<DateTime<Utc>>,
}

/// What a tick at `now` owes the trigger `kind`, fires at or before `floor` excluded.
pub fn owed(
    kind: &NodeKind,
    tz: Tz,
    origin: DateTime<Utc>,
    floor: DateTime<Utc>,
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Owed {
    let (Some(series), Some(policy)) = (Series::of(kind), catch_up_of(kind)) else {
        return Owed::default();
    };
    let floor = floor.max(origin);
    let Some(found) = latest(&series, tz, floor, now) else {
        return Owed::default();
    };
    let older: Vec<DateTime<Utc>> = Forward::after(&series, tz, floor)
        .map(|f| f.at)
        .take_while(|at| *at < found.at)
        .collect();
    let on_time = now.signed_duration_since(found.at) <= tolerance;
    let runs = match policy {
        CatchUp::Run => true,
        CatchUp::Skip => on_time,
    };
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    if runs {
        Owed {
            run: Some(numbered(&series, tz, origin, found)),
            missed: count(older.len()),
            last_missed: older.last().copied(),
        }
    } else {
        Owed {
            run: None,
            missed: count(older.len() + 1),
            last_missed: Some(found.at),
        }
    }
}

/// The instant a scenario activated at `now` counts its fires from: the start of the local
/// day, so that activating after a fire's instant on its day still runs that fire (per
/// `catch_up`), and a `repeat` whose `start` is today runs day 1.
pub fn activation_floor(tz: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
    let midnight = super::local::local_of(tz, now)
        .date()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    let start = super::resolve_local(tz, midnight).min(now);
    start
        .checked_sub_signed(Duration::seconds(1))
        .unwrap_or(start)
}
