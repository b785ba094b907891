//! Daylight saving time: gaps and folds in Prague and New York.

use super::common::*;

#[test]
fn gap_time_resolves_to_the_first_instant_after_the_gap() {
    // Prague springs forward 2026-03-29 02:00 CET -> 03:00 CEST (01:00 UTC).
    assert_eq!(
        resolve_local(PRAGUE, local("2026-03-29T02:30")),
        utc("2026-03-29T01:00:00Z")
    );
    assert_eq!(
        resolve_local(PRAGUE, local("2026-03-29T02:00")),
        utc("2026-03-29T01:00:00Z")
    );
    assert_eq!(
        resolve_local(PRAGUE, local("2026-03-29T03:00")),
        utc("2026-03-29T01:00:00Z")
    );
    assert_eq!(
        resolve_local(PRAGUE, local("2026-03-29T01:59")),
        utc("2026-03-29T00:59:00Z")
    );
    // New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC).
    assert_eq!(
        resolve_local(NEW_YORK, local("2026-03-08T02:15")),
        utc("2026-03-08T07:00:00Z")
    );
}

#[test]
fn ambiguous_time_resolves_to_the_earlier_instant() {
    // Prague falls back 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice.
    assert_eq!(
        resolve_local(PRAGUE, local("2026-10-25T02:30")),
        utc("2026-10-25T00:30:00Z")
    );
    // New York falls back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice.
    assert_eq!(
        resolve_local(NEW_YORK, local("2026-11-01T01:30")),
        utc("2026-11-01T05:30:00Z")
    );
}

#[test]
fn daily_repeat_fires_once_per_local_date_across_spring_forward() {
    let kind = daily(
        "02:30",
        Some("2026-03-27"),
        Some("2026-03-31"),
        CatchUp::Run,
    );
    let fires = fires_between(
        &kind,
        PRAGUE,
        utc(EPOCH),
        utc(EPOCH),
        utc("2026-12-31T00:00:00Z"),
    );
    assert_eq!(
        instants(&fires),
        [
            "2026-03-27T01:30:00+00:00",
            "2026-03-28T01:30:00+00:00",
            "2026-03-29T01:00:00+00:00", // 02:30 does not exist: 03:00 CEST
            "2026-03-30T00:30:00+00:00",
            "2026-03-31T00:30:00+00:00",
        ]
    );
    assert_eq!(days(&fires), [Some(1), Some(2), Some(3), Some(4), Some(5)]);
    let dates: Vec<_> = fires.iter().map(|f| f.local_date.to_string()).collect();
    assert_eq!(
        dates,
        [
            "2026-03-27",
            "2026-03-28",
            "2026-03-29",
            "2026-03-30",
            "2026-03-31"
        ]
    );
}

#[test]
fn daily_repeat_fires_once_on_a_fall_back_day() {
    let kind = daily(
        "01:30",
        Some("2026-10-31"),
        Some("2026-11-02"),
        CatchUp::Run,
    );
    let fires = fires_between(
        &kind,
        NEW_YORK,
        utc(EPOCH),
        utc(EPOCH),
        utc("2027-01-01T00:00:00Z"),
    );
    assert_eq!(
        instants(&fires),
        [
            "2026-10-31T05:30:00+00:00",
            "2026-11-01T05:30:00+00:00", // EDT, not the second 01:30 EST at 06:30Z
            "2026-11-02T06:30:00+00:00",
        ]
    );
    assert_eq!(days(&fires), [Some(1), Some(2), Some(3)]);
}

#[test]
fn cron_in_local_time_applies_gap_and_fold_rules() {
    let kind = cron("30 2 * * *", Some("2026-03-28"), Some("2026-03-30"));
    let fires = fires_between(
        &kind,
        PRAGUE,
        utc(EPOCH),
        utc(EPOCH),
        utc("2027-01-01T00:00:00Z"),
    );
    assert_eq!(
        instants(&fires),
        [
            "2026-03-28T01:30:00+00:00",
            "2026-03-29T01:00:00+00:00",
            "2026-03-30T00:30:00+00:00",
        ]
    );
    let kind = cron("30 1 * * *", Some("2026-11-01"), Some("2026-11-01"));
    let fires = fires_between(
        &kind,
        NEW_YORK,
        utc(EPOCH),
        utc(EPOCH),
        utc("2027-01-01T00:00:00Z"),
    );
    assert_eq!(instants(&fires), ["2026-11-01T05:30:00+00:00"]);
}

#[test]
fn cron_readings_inside_a_gap_merge_into_one_fire() {
    // Every 20 minutes: 02:00, 02:20 and 02:40 do not exist and all run at 03:00 CEST.
    let kind = cron("*/20 * * * *", None, None);
    let fires = fires_between(
        &kind,
        PRAGUE,
        utc(EPOCH),
        utc("2026-03-29T00:30:00Z"),
        utc("2026-03-29T01:30:00Z"),
    );
    assert_eq!(
        instants(&fires),
        [
            "2026-03-29T00:40:00+00:00",
            "2026-03-29T01:00:00+00:00",
            "2026-03-29T01:20:00+00:00",
        ]
    );
    let numbers = days(&fires);
    let first = numbers[0].expect("repeat has days");
    assert_eq!(numbers, [Some(first), Some(first + 1), Some(first + 2)]);
}

#[test]
fn hourly_cron_skips_the_repeated_hour_of_a_fold() {
    // Prague 2026-10-25: 02:00 happens at 00:00Z (CEST) and 01:00Z (CET); it runs once.
    let kind = cron("0 * * * *", None, None);
    let fires = fires_between(
        &kind,
        PRAGUE,
        utc(EPOCH),
        utc("2026-10-24T22:30:00Z"),
        utc("2026-10-25T02:30:00Z"),
    );
    assert_eq!(
        instants(&fires),
        [
            "2026-10-24T23:00:00+00:00", // 01:00 CEST
            "2026-10-25T00:00:00+00:00", // 02:00 CEST
            "2026-10-25T02:00:00+00:00", // 03:00 CET
        ]
    );
}

#[test]
fn next_local_time_follows_wall_clock_and_dst() {
    assert_eq!(
        next_local_time(PRAGUE, utc("2026-03-28T12:00:00Z"), time("02:30")),
        utc("2026-03-29T01:00:00Z")
    );
    assert_eq!(
        next_local_time(PRAGUE, utc("2026-03-29T01:00:00Z"), time("02:30")),
        utc("2026-03-30T00:30:00Z")
    );
    // Second pass of New York's 01:30 on fall-back day: already past the (earlier) instant.
    assert_eq!(
        next_local_time(NEW_YORK, utc("2026-11-01T06:15:00Z"), time("01:30")),
        utc("2026-11-02T06:30:00Z")
    );
    assert_eq!(
        next_local_time(NEW_YORK, utc("2026-11-01T05:15:00Z"), time("01:30")),
        utc("2026-11-01T05:30:00Z")
    );
}
