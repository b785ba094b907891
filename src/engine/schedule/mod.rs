//! When `on_date` and `repeat` triggers fire (DESIGN §4, "Triggers").
//!
//! Pure functions of the trigger, its scenario's time zone, the instant the scenario became
//! active (`origin`) and the instants asked about; the engine keeps `last_fired` durable and
//! asks [`due_fire`] at every tick.
//!
//! Rules, each covered by tests:
//! - Schedules are local wall-clock times. A local time inside a spring-forward gap runs at
//!   the first instant after the gap; an ambiguous fall-back time runs once, at the earlier
//!   instant ([`resolve_local`]). Cron expressions are matched against local readings with
//!   the same rules, and readings that land on one instant (a gap) are one fire.
//! - A repeat fires only on local dates within `start..=end`; a daily one fires once per
//!   local date.
//! - Nothing fires at or before `origin`. `day` is 1 on the first fire on or after `start`
//!   (fires before `origin` still count, so `day` follows the calendar of the plan) or,
//!   without `start`, on the first fire after `origin`; it counts fires.
//! - Catch-up: under `run`, a tick fires the most recent fire not yet fired, once; older
//!   missed fires are dropped. Under `skip`, a tick fires only a fire that is at most
//!   [`TICK_TOLERANCE`] old. A fire at or before `last_fired` is never returned. [`owed`]
//!   also counts the dropped fires, so the engine reports them as missed (once).
//! - The engine activates a trigger from the start of the local day it first sees it on
//!   ([`activation_floor`]), so a fire earlier that day is still due.

mod catch_up;
mod fires;
mod local;
mod series;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::scenario::compiled::NodeKind;
use crate::scenario::model::CatchUp;
pub use catch_up::{activation_floor, owed, Owed};
use fires::{day_of, latest, Forward, Found};
pub use local::resolve_local;
use series::{Pattern, Series};

/// How late a tick may be for a fire under `catch_up: skip` to still count as on time, not
/// missed. Ticks from cron or a systemd timer every few minutes stay well inside it; an
/// engine down for longer than this skips the fire.
pub const TICK_TOLERANCE: Duration = Duration::minutes(15);

/// One firing of a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fire {
    /// The instant it runs at (after gap and fold rules).
    pub at: DateTime<Utc>,
    /// The local date it was scheduled on.
    pub local_date: NaiveDate,
    /// For repeats, the 1-based fire number templates and limits see as `day`.
    pub day: Option<u32>,
}

/// The next instant strictly after `after` whose local time of day is `time` (wait `until`),
/// with the gap and fold rules of [`resolve_local`].
pub fn next_local_time(tz: Tz, after: DateTime<Utc>, time: NaiveTime) -> DateTime<Utc> {
    let series = Series::Repeat {
        pattern: Pattern::Daily(time),
        start: None,
        end: None,
    };
    Forward::after(&series, tz, after)
        .next()
        .map_or(DateTime::<Utc>::MAX_UTC, |found| found.at)
}

/// All fires of an `on_date` / `repeat` trigger in `(from, to]`, in order. `origin` is when
/// the scenario became active: a repeat without `start` counts day 1 from its first fire
/// after origin. Other node kinds have no fires.
pub fn fires_between(
    kind: &NodeKind,
    tz: Tz,
    origin: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Fire> {
    let Some(series) = Series::of(kind) else {
        return Vec::new();
    };
    let found: Vec<Found> = Forward::after(&series, tz, from.max(origin))
        .take_while(|found| found.at <= to)
        .collect();
    let first_day = found
        .first()
        .and_then(|first| day_of(&series, tz, origin, first.at));
    found
        .into_iter()
        .zip(0u32..)
        .map(|(found, index)| Fire {
            at: found.at,
            local_date: found.local.date(),
            day: first_day.map(|day| day.saturating_add(index)),
        })
        .collect()
}

/// The next fire strictly after `after` (and after `origin`).
pub fn next_fire(
    kind: &NodeKind,
    tz: Tz,
    origin: DateTime<Utc>,
    after: DateTime<Utc>,
) -> Option<Fire> {
    let series = Series::of(kind)?;
    let found = Forward::after(&series, tz, after.max(origin)).next()?;
    Some(numbered(&series, tz, origin, found))
}

/// What a tick at `now` must fire, given the last fire already started (`None`: never):
/// applies the trigger's `catch_up` policy with [`TICK_TOLERANCE`] and never returns a fire
/// at or before `last_fired`.
pub fn due_fire(
    kind: &NodeKind,
    tz: Tz,
    origin: DateTime<Utc>,
    last_fired: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<Fire> {
    due_fire_within(kind, tz, origin, last_fired, now, TICK_TOLERANCE)
}

/// [`due_fire`] with an explicit tolerance for `catch_up: skip`.
pub fn due_fire_within(
    kind: &NodeKind,
    tz: Tz,
    origin: DateTime<Utc>,
    last_fired: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Option<Fire> {
    let series = Series::of(kind)?;
    let floor = last_fired.map_or(origin, |last| last.max(origin));
    let found = latest(&series, tz, floor, now)?;
    let on_time = now.signed_duration_since(found.at) <= tolerance;
    match catch_up_of(kind)? {
        CatchUp::Run => Some(numbered(&series, tz, origin, found)),
        CatchUp::Skip if on_time => Some(numbered(&series, tz, origin, found)),
        CatchUp::Skip => None,
    }
}

fn numbered(series: &Series, tz: Tz, origin: DateTime<Utc>, found: Found) -> Fire {
    Fire {
        at: found.at,
        local_date: found.local.date(),
        day: day_of(series, tz, origin, found.at),
    }
}

fn catch_up_of(kind: &NodeKind) -> Option<CatchUp> {
    match kind {
        NodeKind::OnDate(on_date) => Some(on_date.catch_up),
        NodeKind::Repeat(repeat) => Some(repeat.catch_up),
        _ => None,
    }
}
