//! Start and end dates, `origin`, `day` numbering, node kinds without schedules.

use super::common::*;

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
