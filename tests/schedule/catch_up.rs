//! Catch-up of fires missed while the engine was down.

use super::common::*;

#[test]
fn catch_up_run_fires_the_most_recent_missed_fire_once() {
    let kind = daily(
        "09:00",
        Some("2026-03-01"),
        Some("2026-03-14"),
        CatchUp::Run,
    );
    let origin = utc("2026-02-01T00:00:00Z");
    // Day 1 fired on time, then the engine was down until 5 March 12:00.
    let last = utc("2026-03-01T08:00:00Z");
    let now = utc("2026-03-05T11:00:00Z");
    let fire = due_fire(&kind, PRAGUE, origin, Some(last), now).expect("missed fires");
    assert_eq!(fire.at, utc("2026-03-05T08:00:00Z"));
    assert_eq!(fire.day, Some(5));
    // Once started, the same tick (or any later one before the next fire) fires nothing.
    assert_eq!(due_fire(&kind, PRAGUE, origin, Some(fire.at), now), None);
    assert_eq!(
        due_fire(
            &kind,
            PRAGUE,
            origin,
            Some(fire.at),
            utc("2026-03-06T07:59:59Z")
        ),
        None
    );
    let next = due_fire(
        &kind,
        PRAGUE,
        origin,
        Some(fire.at),
        utc("2026-03-06T08:00:00Z"),
    );
    assert_eq!(next.and_then(|f| f.day), Some(6));
}

#[test]
fn catch_up_skip_drops_fires_missed_beyond_the_tolerance() {
    let kind = daily(
        "09:00",
        Some("2026-03-01"),
        Some("2026-03-14"),
        CatchUp::Skip,
    );
    let origin = utc("2026-02-01T00:00:00Z");
    let last = Some(utc("2026-03-01T08:00:00Z"));
    assert_eq!(
        due_fire(&kind, PRAGUE, origin, last, utc("2026-03-05T11:00:00Z")),
        None
    );
    let late = utc("2026-03-05T08:00:00Z") + TICK_TOLERANCE;
    let on_time = due_fire(&kind, PRAGUE, origin, last, late).expect("within tolerance");
    assert_eq!(on_time.day, Some(5));
    assert_eq!(
        due_fire(&kind, PRAGUE, origin, last, late + Duration::seconds(1)),
        None
    );
    assert!(due_fire_within(
        &kind,
        PRAGUE,
        origin,
        last,
        utc("2026-03-05T11:00:00Z"),
        Duration::hours(3)
    )
    .is_some());
}

#[test]
fn on_date_fires_once_and_only_once() {
    let kind = on_date("2026-03-29T02:30", CatchUp::Run);
    let origin = utc(EPOCH);
    assert_eq!(
        due_fire(&kind, PRAGUE, origin, None, utc("2026-03-29T00:59:59Z")),
        None
    );
    let fire = due_fire(&kind, PRAGUE, origin, None, utc("2026-03-30T00:00:00Z")).expect("missed");
    assert_eq!(fire.at, utc("2026-03-29T01:00:00Z"));
    assert_eq!(fire.local_date, date("2026-03-29"));
    assert_eq!(
        due_fire(
            &kind,
            PRAGUE,
            origin,
            Some(fire.at),
            utc("2027-01-01T00:00:00Z")
        ),
        None
    );
    let skip = on_date("2026-03-29T02:30", CatchUp::Skip);
    assert_eq!(
        due_fire(&skip, PRAGUE, origin, None, utc("2026-03-30T00:00:00Z")),
        None
    );
}

#[test]
fn due_fire_on_the_repeated_hour_of_a_fold() {
    // Hourly in Prague; at 01:30Z on 25 October the wall clock reads 02:30 CET for the
    // second time. The 02:00 reading already ran at 00:00Z and must not run again.
    let kind = cron("0 * * * *", None, None);
    let origin = utc(EPOCH);
    let last = Some(utc("2026-10-25T00:00:00Z"));
    assert_eq!(
        due_fire(&kind, PRAGUE, origin, last, utc("2026-10-25T01:30:00Z")),
        None
    );
    let fire = due_fire(&kind, PRAGUE, origin, last, utc("2026-10-25T02:00:00Z"));
    assert_eq!(fire.map(|f| f.at), Some(utc("2026-10-25T02:00:00Z")));
}

#[test]
fn owed_runs_the_most_recent_fire_and_counts_the_older_ones_missed() {
    let kind = daily(
        "00:00",
        Some("2026-03-01"),
        Some("2026-03-14"),
        CatchUp::Run,
    );
    let origin = utc("2026-02-01T00:00:00Z");
    // Day 2 ran; the engine was down from day 3 until day 5 10:20 (Prague, UTC+1).
    let floor = utc("2026-03-01T23:00:00Z");
    let now = utc("2026-03-05T09:20:00Z");
    let owed = owed(&kind, PRAGUE, origin, floor, now, TICK_TOLERANCE);
    let fire = owed.run.expect("the most recent fire runs");
    assert_eq!(fire.at, utc("2026-03-04T23:00:00Z"));
    assert_eq!(fire.day, Some(5));
    assert_eq!(owed.missed, 2, "days 3 and 4");
    assert_eq!(owed.last_missed, Some(utc("2026-03-03T23:00:00Z")));
    // Once it ran (the floor moves to it), nothing more is owed until the next fire.
    let after = owed_at(&kind, origin, fire.at, now);
    assert_eq!(after, Owed::default());
}

fn owed_at(
    kind: &NodeKind,
    origin: DateTime<Utc>,
    floor: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Owed {
    owed(kind, PRAGUE, origin, floor, now, TICK_TOLERANCE)
}

#[test]
fn owed_under_skip_counts_a_late_fire_missed_and_never_again() {
    let kind = daily("09:00", None, None, CatchUp::Skip);
    let origin = utc("2026-03-01T00:00:00Z");
    let floor = utc("2026-03-01T08:00:00Z");
    let on_time = owed_at(&kind, origin, floor, utc("2026-03-02T08:10:00Z"));
    assert_eq!(on_time.run.map(|f| f.at), Some(utc("2026-03-02T08:00:00Z")));
    assert_eq!(on_time.missed, 0);
    let late = owed_at(&kind, origin, floor, utc("2026-03-03T11:00:00Z"));
    assert_eq!(late.run, None);
    assert_eq!(late.missed, 2);
    let floor = late.last_missed.expect("the late fire is the last missed");
    assert_eq!(floor, utc("2026-03-03T08:00:00Z"));
    assert_eq!(
        owed_at(&kind, origin, floor, utc("2026-03-03T12:00:00Z")),
        Owed::default()
    );
}

#[test]
fn activation_counts_from_the_start_of_the_local_day() {
    // 09:30 in Prague on the plan's first day: the midnight fire is still owed, as day 1.
    let now = utc("2026-03-01T08:30:00Z");
    let origin = activation_floor(PRAGUE, now);
    assert_eq!(origin, utc("2026-02-28T22:59:59Z"));
    let kind = daily("00:00", Some("2026-03-01"), None, CatchUp::Run);
    let owed = owed_at(&kind, origin, origin, now);
    assert_eq!(owed.run.and_then(|f| f.day), Some(1));
    assert_eq!(owed.missed, 0);
    // Without `start`, today's fire is day 1 too.
    let kind = daily("00:00", None, None, CatchUp::Run);
    assert_eq!(
        owed_at(&kind, origin, origin, now).run.and_then(|f| f.day),
        Some(1)
    );
    // Activating at midnight itself: the floor is just before it, so the fire is owed.
    let midnight = utc("2026-03-01T23:00:00Z");
    assert_eq!(
        activation_floor(PRAGUE, midnight),
        midnight - Duration::seconds(1)
    );
}
