//! Property tests of trigger schedules across DST transitions in several zones.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use warmup::engine::schedule::{
    due_fire_within, fires_between, next_fire, next_local_time, resolve_local, Fire,
};
use warmup::scenario::compiled::{NodeKind, Repeat, Schedule};
use warmup::scenario::model::CatchUp;

/// Zones with the transitions that matter: European and American DST, a 30-minute DST
/// (Lord Howe), DST changing at midnight (São Paulo until 2019) and a skipped day (Apia, 2011).
const ZONES: [Tz; 5] = [
    chrono_tz::Europe::Prague,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::America::Sao_Paulo,
    chrono_tz::Pacific::Apia,
];

const CRONS: [&str; 7] = [
    "0 9 * * *",
    "30 2 * * *",
    "*/20 * * * *",
    "0 * * * *",
    "15 1 * * 0",
    "0 0 1 * *",
    "45 23 * * 1-5",
];

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(ZONES.to_vec())
}

/// An instant between 2010 and 2030, to the second.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (1_262_304_000i64..1_893_456_000)
        .prop_map(|s| Utc.timestamp_opt(s, 0).single().expect("in range"))
}

/// A wall-clock reading close to a DST transition more often than chance would give.
fn reading() -> impl Strategy<Value = NaiveDateTime> {
    prop_oneof![
        instant().prop_map(|t| t.naive_utc()),
        // Transition nights: the last Sundays of March/October, second Sunday of March,
        // first Sunday of November, and the Apia skip, at any second of the night.
        (
            prop::sample::select(vec![
                "2026-03-29",
                "2026-10-25",
                "2026-03-08",
                "2026-11-01",
                "2011-12-30",
                "2026-04-05",
                "2026-10-04",
                "2018-11-04",
                "2019-02-16",
            ]),
            0u32..(6 * 3600),
        )
            .prop_map(|(day, second)| {
                NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .expect("date")
                    .and_time(NaiveTime::MIN)
                    + Duration::seconds(i64::from(second))
            }),
    ]
}

fn local_of(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

fn schedule() -> impl Strategy<Value = Schedule> {
    prop_oneof![
        (0u32..24, 0u32..60).prop_map(|(h, m)| Schedule::Daily(
            NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
        )),
        prop::sample::select(CRONS.to_vec()).prop_map(|c| Schedule::Cron(c.to_string())),
    ]
}

fn repeat(schedule: Schedule, start: Option<NaiveDate>, end: Option<NaiveDate>) -> NodeKind {
    NodeKind::Repeat(Repeat {
        schedule,
        start,
        end,
        catch_up: CatchUp::Run,
    })
}

/// A short window near a transition: origin, then from ≤ mid ≤ to within ~40 days.
fn window() -> impl Strategy<Value = (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>, DateTime<Utc>)> {
    (
        reading(),
        0i64..(10 * 86_400),
        0i64..(20 * 86_400),
        0i64..(20 * 86_400),
        0i64..(3 * 86_400),
    )
        .prop_map(|(base, back, a, b, origin_back)| {
            let from = base.and_utc() - Duration::seconds(back);
            let mid = from + Duration::seconds(a);
            let to = mid + Duration::seconds(b);
            (from - Duration::seconds(origin_back), from, mid, to)
        })
}

fn start_end() -> impl Strategy<Value = (Option<i64>, Option<i64>)> {
    (prop::option::of(-15i64..15), prop::option::of(0i64..30))
}

fn bounds(
    from: DateTime<Utc>,
    offsets: (Option<i64>, Option<i64>),
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let start = offsets.0.map(|d| from.date_naive() + Duration::days(d));
    let end = offsets
        .1
        .map(|d| start.unwrap_or(from.date_naive()) + Duration::days(d));
    (start, end)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The instant of a reading is the first instant whose reading is at or past it; it
    /// shows that very reading unless the reading does not exist (a gap).
    #[test]
    fn resolve_local_is_the_first_instant_reaching_the_reading(tz in zone(), n in reading()) {
        let r = resolve_local(tz, n);
        let shown = local_of(tz, r);
        prop_assert!(shown >= n, "{n} resolved to {r} showing {shown}");
        // No earlier instant (up to 3 hours back: longer than any fold) shows it or later.
        for back in std::iter::once(Duration::seconds(1)).chain((1..=12).map(|k| Duration::minutes(15 * k))) {
            prop_assert!(local_of(tz, r - back) < n, "{n} resolved to {r}, but {} shows {}", r - back, local_of(tz, r - back));
        }
        let exists = !matches!(tz.from_local_datetime(&n), chrono::LocalResult::None);
        prop_assert_eq!(shown == n, exists);
    }

    #[test]
    fn resolve_local_is_monotonic(tz in zone(), n in reading(), step in 0i64..(4 * 3600)) {
        let later = n + Duration::seconds(step);
        prop_assert!(resolve_local(tz, n) <= resolve_local(tz, later));
    }

    #[test]
    fn next_local_time_is_the_first_such_instant_after(tz in zone(), after in reading(), h in 0u32..24, m in 0u32..60) {
        let after = after.and_utc();
        let time = NaiveTime::from_hms_opt(h, m, 0).expect("valid");
        let next = next_local_time(tz, after, time);
        prop_assert!(next > after);
        let date = local_of(tz, next).date();
        let scheduled_today = resolve_local(tz, date.and_time(time));
        let scheduled_before = resolve_local(tz, (date - Duration::days(1)).and_time(time));
        // It is the resolution of today's or (if a gap pushed it past midnight) yesterday's
        // reading, and the reading before it was not after `after`.
        prop_assert!(next == scheduled_today || next == scheduled_before);
        let previous = if next == scheduled_today { scheduled_before } else {
            resolve_local(tz, (date - Duration::days(2)).and_time(time))
        };
        prop_assert!(previous <= after);
    }

    /// Splitting a window in two loses and duplicates nothing, and numbers fires the same.
    #[test]
    fn fires_between_is_additive(
        tz in zone(), schedule in schedule(), (origin, from, mid, to) in window(), se in start_end(),
    ) {
        let (start, end) = bounds(from, se);
        let kind = repeat(schedule, start, end);
        let whole = fires_between(&kind, tz, origin, from, to);
        let mut parts = fires_between(&kind, tz, origin, from, mid);
        parts.extend(fires_between(&kind, tz, origin, mid, to));
        prop_assert_eq!(&whole, &parts);
        for pair in whole.windows(2) {
            prop_assert!(pair[0].at < pair[1].at);
            prop_assert_eq!(pair[0].day.map(|d| d + 1), pair[1].day);
        }
        for fire in &whole {
            prop_assert!(fire.at > origin && fire.at > from && fire.at <= to);
            prop_assert!(start.is_none_or(|s| fire.local_date >= s));
            prop_assert!(end.is_none_or(|e| fire.local_date <= e));
        }
        if let Some(first) = whole.first() {
            let next = next_fire(&kind, tz, origin, from);
            prop_assert_eq!(next.as_ref(), Some(first));
        }
    }

    /// A daily repeat fires exactly once on every local date of its range, day by day.
    #[test]
    fn daily_fires_once_per_local_date(
        tz in zone(), base in reading(), len in 0i64..40, h in 0u32..24, m in 0u32..60,
    ) {
        let start = base.date();
        let end = start + Duration::days(len);
        let time = NaiveTime::from_hms_opt(h, m, 0).expect("valid");
        let kind = repeat(Schedule::Daily(time), Some(start), Some(end));
        let origin = (start - Duration::days(3)).and_time(NaiveTime::MIN).and_utc();
        let fires = fires_between(&kind, tz, origin, origin, origin + Duration::days(len + 10));
        let dates: Vec<NaiveDate> = fires.iter().map(|f| f.local_date).collect();
        let expected: Vec<NaiveDate> = start.iter_days().take(len as usize + 1).collect();
        prop_assert_eq!(dates, expected);
        for (fire, day) in fires.iter().zip(1u32..) {
            prop_assert_eq!(fire.day, Some(day));
            prop_assert_eq!(fire.at, resolve_local(tz, fire.local_date.and_time(time)));
        }
    }

    /// Ticking with arbitrary pauses (engine down), `run` fires every fire at most once,
    /// always the most recent one due, and a tick after every fire misses none.
    #[test]
    fn catch_up_run_never_fires_twice(
        tz in zone(), schedule in schedule(), (origin, from, _, _) in window(),
        pauses in prop::collection::vec(prop_oneof![1i64..600, 600i64..(3 * 86_400)], 1..60),
        tolerance in prop_oneof![Just(i64::MAX / 4), 0i64..3600],
    ) {
        let kind = repeat(schedule, None, None);
        let skip = tolerance < i64::MAX / 4;
        let kind = match kind {
            NodeKind::Repeat(mut r) => { if skip { r.catch_up = CatchUp::Skip; } NodeKind::Repeat(r) }
            other => other,
        };
        let tolerance = Duration::seconds(tolerance.min(86_400 * 365));
        let mut now = from;
        let mut last: Option<DateTime<Utc>> = None;
        let mut fired: Vec<Fire> = Vec::new();
        let mut previous_tick = origin;
        for pause in pauses {
            now += Duration::seconds(pause);
            let any_since_previous_tick = !fires_between(&kind, tz, origin, previous_tick, now).is_empty();
            previous_tick = now;
            let due = due_fire_within(&kind, tz, origin, last, now, tolerance);
            let floor = last.unwrap_or(origin).max(origin);
            let latest = fires_between(&kind, tz, origin, floor, now).last().copied();
            match due {
                Some(fire) => {
                    prop_assert!(last.is_none_or(|l| fire.at > l));
                    prop_assert_eq!(Some(fire), latest);
                    prop_assert!(!skip || now - fire.at <= tolerance);
                    prop_assert!(any_since_previous_tick);
                    last = Some(fire.at);
                    fired.push(fire);
                }
                None => prop_assert!(latest.is_none() || (skip && now - latest.map_or(now, |f| f.at) > tolerance)),
            }
            if !skip {
                prop_assert_eq!(due.is_some(), any_since_previous_tick);
            }
        }
        for pair in fired.windows(2) {
            prop_assert!(pair[0].at < pair[1].at);
        }
    }
}

/// Every scheduled reading in a window, straight from the cron library (or the daily time),
/// resolved one by one: the oracle for [`fires_between`].
fn brute_force(
    schedule: &Schedule,
    tz: Tz,
    (start, end): (Option<NaiveDate>, Option<NaiveDate>),
    floor: DateTime<Utc>,
    to: DateTime<Utc>,
) -> std::collections::BTreeSet<DateTime<Utc>> {
    let first = local_of(tz, floor) - Duration::days(2);
    let last = local_of(tz, to) + Duration::days(2);
    let readings: Vec<NaiveDateTime> = match schedule {
        Schedule::Daily(time) => first
            .date()
            .iter_days()
            .take_while(|d| *d <= last.date())
            .map(|d| d.and_time(*time))
            .collect(),
        Schedule::Cron(expression) => {
            let cron = croner::parser::CronParser::builder()
                .seconds(croner::parser::Seconds::Disallowed)
                .build()
                .parse(expression)
                .expect("test pattern");
            cron.iter_after(first.and_utc())
                .map(|t| t.naive_utc())
                .take_while(|t| *t <= last)
                .collect()
        }
    };
    readings
        .into_iter()
        .filter(|r| start.is_none_or(|s| r.date() >= s) && end.is_none_or(|e| r.date() <= e))
        .map(|r| resolve_local(tz, r))
        .filter(|at| *at > floor && *at <= to)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The fires in a window are exactly the distinct instants of the scheduled readings in
    /// it, within `start..=end` and after `origin`.
    #[test]
    fn fires_between_matches_brute_force(
        tz in zone(), schedule in schedule(), (origin, from, _, to) in window(), se in start_end(),
    ) {
        let (start, end) = bounds(from, se);
        let kind = repeat(schedule.clone(), start, end);
        let fires = fires_between(&kind, tz, origin, from, to);
        let got: std::collections::BTreeSet<_> = fires.iter().map(|f| f.at).collect();
        prop_assert_eq!(got.len(), fires.len(), "no instant twice");
        prop_assert_eq!(got, brute_force(&schedule, tz, (start, end), from.max(origin), to));
        // `day` counts fires from `start` (or after `origin`).
        if let Some(first) = fires.first() {
            let counting_from = match start {
                Some(start) => resolve_local(tz, start.and_time(NaiveTime::MIN)) - Duration::days(1),
                None => origin,
            };
            let earlier = brute_force(&schedule, tz, (start, end), counting_from, first.at);
            prop_assert_eq!(first.day, Some(earlier.len() as u32));
        }
    }
}
