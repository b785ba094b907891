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
