//! Trigger schedules: DST gaps and folds, start/end dates, `day`, catch-up.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use warmup::engine::schedule::{
    due_fire, due_fire_within, fires_between, next_fire, next_local_time, resolve_local, Fire,
    TICK_TOLERANCE,
};
use warmup::scenario::compiled::{NodeKind, OnDate, Repeat, Schedule, Wait};
use warmup::scenario::model::CatchUp;

const PRAGUE: Tz = chrono_tz::Europe::Prague;
const NEW_YORK: Tz = chrono_tz::America::New_York;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test instant")
        .with_timezone(&Utc)
}

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").expect("test local time")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn time(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").expect("test time")
}

fn daily(at: &str, start: Option<&str>, end: Option<&str>, catch_up: CatchUp) -> NodeKind {
    NodeKind::Repeat(Repeat {
        schedule: Schedule::Daily(time(at)),
        start: start.map(date),
        end: end.map(date),
        catch_up,
    })
}

fn cron(expression: &str, start: Option<&str>, end: Option<&str>) -> NodeKind {
    NodeKind::Repeat(Repeat {
        schedule: Schedule::Cron(expression.to_string()),
        start: start.map(date),
        end: end.map(date),
        catch_up: CatchUp::Run,
    })
}

fn on_date(at: &str, catch_up: CatchUp) -> NodeKind {
    NodeKind::OnDate(OnDate {
        at: local(at),
        catch_up,
    })
}

fn instants(fires: &[Fire]) -> Vec<String> {
    fires.iter().map(|f| f.at.to_rfc3339()).collect()
}

fn days(fires: &[Fire]) -> Vec<Option<u32>> {
    fires.iter().map(|f| f.day).collect()
}

const EPOCH: &str = "2026-01-01T00:00:00Z";

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
fn day_counts_from_start_even_when_the_scenario_became_active_later() {
    let kind = daily(
        "09:00",
        Some("2026-03-01"),
        Some("2026-03-14"),
        CatchUp::Run,
    );
    let origin = utc("2026-03-05T12:00:00Z");
    let fires = fires_between(
        &kind,
        PRAGUE,
        origin,
        utc(EPOCH),
        utc("2027-01-01T00:00:00Z"),
    );
    assert_eq!(fires.len(), 9, "6 March to 14 March");
    assert_eq!(fires[0].local_date, date("2026-03-06"));
    assert_eq!(fires[0].day, Some(6));
    assert_eq!(fires[8].day, Some(14));
}

#[test]
fn without_start_day_one_is_the_first_fire_after_origin() {
    let kind = daily("09:00", None, None, CatchUp::Run);
    // 09:00 Prague is 08:00Z; activated exactly at that instant, so that fire is not after it.
    let origin = utc("2026-02-10T08:00:00Z");
    let fires = fires_between(&kind, PRAGUE, origin, origin, utc("2026-02-13T00:00:00Z"));
    assert_eq!(
        instants(&fires),
        ["2026-02-11T08:00:00+00:00", "2026-02-12T08:00:00+00:00"]
    );
    assert_eq!(days(&fires), [Some(1), Some(2)]);
    let later = fires_between(
        &kind,
        PRAGUE,
        origin,
        utc("2026-02-12T00:00:00Z"),
        utc("2026-02-14T00:00:00Z"),
    );
    assert_eq!(days(&later), [Some(2), Some(3)]);
}

#[test]
fn nothing_fires_at_or_before_origin_or_outside_start_and_end() {
    let kind = daily(
        "09:00",
        Some("2026-03-01"),
        Some("2026-03-03"),
        CatchUp::Run,
    );
    let origin = utc("2026-04-01T00:00:00Z");
    assert!(fires_between(
        &kind,
        PRAGUE,
        origin,
        utc(EPOCH),
        utc("2027-01-01T00:00:00Z")
    )
    .is_empty());
    assert_eq!(
        next_fire(&kind, PRAGUE, utc(EPOCH), utc("2026-03-03T08:00:00Z")),
        None
    );
    let once = on_date("2026-05-01T10:00", CatchUp::Run);
    assert!(fires_between(
        &once,
        PRAGUE,
        utc("2026-05-02T00:00:00Z"),
        utc(EPOCH),
        utc("2027-01-01T00:00:00Z")
    )
    .is_empty());
    let fires = fires_between(
        &once,
        PRAGUE,
        utc(EPOCH),
        utc(EPOCH),
        utc("2027-01-01T00:00:00Z"),
    );
    assert_eq!(instants(&fires), ["2026-05-01T08:00:00+00:00"]);
    assert_eq!(fires[0].day, None);
}

#[test]
fn non_schedule_nodes_never_fire() {
    let wait = NodeKind::Wait(Wait::Until(time("09:00")));
    assert!(fires_between(
        &wait,
        PRAGUE,
        utc(EPOCH),
        utc(EPOCH),
        utc("2027-01-01T00:00:00Z")
    )
    .is_empty());
    assert_eq!(next_fire(&wait, PRAGUE, utc(EPOCH), utc(EPOCH)), None);
    assert_eq!(
        due_fire(&wait, PRAGUE, utc(EPOCH), None, utc("2027-01-01T00:00:00Z")),
        None
    );
}

#[test]
fn next_fire_is_strictly_after() {
    let kind = daily("09:00", Some("2026-03-01"), None, CatchUp::Run);
    let exactly = utc("2026-03-02T08:00:00Z");
    let next = next_fire(&kind, PRAGUE, utc(EPOCH), exactly).expect("unbounded repeat");
    assert_eq!(next.at, utc("2026-03-03T08:00:00Z"));
    assert_eq!(next.day, Some(3));
    let before = next_fire(&kind, PRAGUE, utc(EPOCH), exactly - Duration::seconds(1));
    assert_eq!(before.map(|f| f.at), Some(exactly));
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
fn impossible_cron_never_fires() {
    let kind = cron("0 0 30 2 *", None, None);
    assert_eq!(next_fire(&kind, PRAGUE, utc(EPOCH), utc(EPOCH)), None);
    assert_eq!(
        due_fire(&kind, PRAGUE, utc(EPOCH), None, utc("2030-01-01T00:00:00Z")),
        None
    );
}

#[test]
fn weekly_cron_numbers_its_fires() {
    // Mondays at 09:00 from a Wednesday start: first Monday is day 1.
    let kind = cron("0 9 * * 1", Some("2026-03-04"), Some("2026-03-31"));
    let fires = fires_between(
        &kind,
        NEW_YORK,
        utc(EPOCH),
        utc(EPOCH),
        utc("2027-01-01T00:00:00Z"),
    );
    let dates: Vec<_> = fires.iter().map(|f| f.local_date.to_string()).collect();
    assert_eq!(
        dates,
        ["2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"]
    );
    assert_eq!(days(&fires), [Some(1), Some(2), Some(3), Some(4)]);
    // 9 March is the first Monday in EDT: 13:00Z, not 14:00Z.
    assert_eq!(
        fires[0].at,
        Utc.with_ymd_and_hms(2026, 3, 9, 13, 0, 0).unwrap()
    );
}

#[test]
fn extreme_instants_do_not_panic() {
    let bounded = daily(
        "09:00",
        Some("2026-03-01"),
        Some("2026-03-03"),
        CatchUp::Run,
    );
    let unbounded = cron("0 9 * * *", None, None);
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    for tz in [
        PRAGUE,
        NEW_YORK,
        chrono_tz::Pacific::Kiritimati,
        chrono_tz::Etc::GMTPlus12,
    ] {
        assert_eq!(fires_between(&bounded, tz, min, min, max).len(), 3);
        assert_eq!(next_fire(&unbounded, tz, min, max), None);
        assert_eq!(next_fire(&bounded, tz, max, min), None);
        assert!(due_fire(&bounded, tz, min, None, max).is_some());
        assert_eq!(due_fire(&unbounded, tz, min, Some(max), max), None);
        let _ = next_local_time(tz, max, time("09:00"));
        let _ = next_local_time(tz, min, time("09:00"));
    }
}
