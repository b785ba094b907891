//! The example scenarios through the real binary as cron runs them: `warmup tick --now` at
//! 00:00:30 and 09:01 only, for the 14 days of the plan, on imported sample customers, with
//! actions captured. Per customer and local day at most one e-mail, per mailbox provider and
//! day at most the day's cap, e-mails on every day, and under Variant 2 nobody gets the same
//! template twice. An outage over midnight is decided, reported, and never slips a day.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::prelude::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Prague;
use warmup::engine::actions_port::Captured;

const CUSTOMERS: u64 = 1000;
const DAYS: i64 = 14;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn warmup(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command.current_dir(dir).env_remove("WARMUP_CRASH_AT");
    command
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The example project with one scenario and sample customers imported.
fn project(scenario: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let project = std::fs::read_to_string(repo().join("warmup.yaml")).unwrap();
    let project = project.replace(
        "  - scenarios/plan-driven.yaml",
        &format!("  - scenarios/{scenario}"),
    );
    assert!(project.contains(scenario));
    std::fs::write(out.join("warmup.yaml"), project).unwrap();
    std::fs::create_dir_all(out.join("scenarios")).unwrap();
    std::fs::copy(
        repo().join("scenarios").join(scenario),
        out.join("scenarios").join(scenario),
    )
    .unwrap();
    copy_dir(&repo().join("templates"), &out.join("templates"));
    let csv = out.join("engaged.csv");
    warmup::sample::Sample::new(7)
        .write_csv(std::fs::File::create(&csv).unwrap(), CUSTOMERS)
        .unwrap();
    warmup(out)
        .args(["import", "customers", "engaged.csv", "--tag", "engaged-90"])
        .assert()
        .success();
    dir
}

/// A local time in the project's zone (Europe/Prague) on day `day` (1 = 2026-12-01).
fn local(day: i64, hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap() + Duration::days(day - 1);
    warmup::engine::schedule::resolve_local(Prague, date.and_hms_opt(hour, minute, second).unwrap())
}

fn tick(dir: &Path, at: DateTime<Utc>) -> String {
    let output = warmup(dir)
        .args(["tick", "--capture", "--now", &at.to_rfc3339()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "tick at {at}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The captured e-mails: (customer, template, local date of the instant they were due).
fn emails(dir: &Path) -> Vec<(u64, String, NaiveDate, String)> {
    let journal = std::fs::read_to_string(dir.join(".warmup/captured-actions.jsonl")).unwrap();
    journal
        .lines()
        .filter_map(
            |line| match serde_json::from_str::<Captured>(line).unwrap() {
                Captured::Email(email) => Some((
                    email.customer,
                    email.template,
                    email.at.with_timezone(&Prague).date_naive(),
                    email.provider,
                )),
                Captured::Webhook(_) => None,
            },
        )
        .collect()
}

/// The plan's caps (the same numbers in all three examples): provider -> cap per day.
fn plan() -> BTreeMap<String, Vec<u64>> {
    let text = std::fs::read_to_string(repo().join("scenarios/plan-driven.yaml")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    serde_yaml::from_value(yaml["plans"]["warmup"].clone()).unwrap()
}

/// Checks the per-day invariants; returns e-mails per local date.
fn check_days(sent: &[(u64, String, NaiveDate, String)]) -> BTreeMap<NaiveDate, usize> {
    let plan = plan();
    let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let mut per_customer_day: HashMap<(u64, NaiveDate), u32> = HashMap::new();
    let mut per_provider_day: HashMap<(String, NaiveDate), u64> = HashMap::new();
    let mut per_day = BTreeMap::new();
    for (customer, _, date, provider) in sent {
        *per_customer_day.entry((*customer, *date)).or_default() += 1;
        *per_provider_day
            .entry((provider.clone(), *date))
            .or_default() += 1;
        *per_day.entry(*date).or_default() += 1;
    }
    let twice: Vec<_> = per_customer_day.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "customers mailed twice on a day: {twice:?}"
    );
    for ((provider, date), count) in &per_provider_day {
        let day = (*date - first).num_days() as usize;
        let cap = plan[provider][day.min(13)];
        assert!(
            *count <= cap,
            "{provider} on {date}: {count} e-mails over the day's cap {cap}"
        );
    }
    per_day
}

fn cron_ticks(dir: &Path, days: std::ops::RangeInclusive<i64>) {
    for day in days {
        tick(dir, local(day, 0, 0, 30));
        tick(dir, local(day, 9, 1, 0));
    }
}

fn every_day_sends(per_day: &BTreeMap<NaiveDate, usize>, days: impl Iterator<Item = i64>) {
    for day in days {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap() + Duration::days(day - 1);
        assert!(
            per_day.get(&date).copied().unwrap_or(0) > 0,
            "no e-mails on day {day} ({date}): {per_day:?}"
        );
    }
}

/// E-mails per (local date, provider) of `warmup simulate` on the project: the engine ticking
/// at every due instant.
fn simulated(dir: &Path) -> BTreeMap<(NaiveDate, String), u64> {
    let output = warmup(dir)
        .args(["simulate", "--from", "2026-12-01", "--days", "14", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut sends = BTreeMap::new();
    for day in report["days"].as_array().unwrap() {
        let date: NaiveDate = day["date"].as_str().unwrap().parse().unwrap();
        for (provider, count) in day["sends"].as_object().unwrap() {
            if count.as_u64().unwrap() > 0 {
                sends.insert((date, provider.clone()), count.as_u64().unwrap());
            }
        }
    }
    sends
}

/// Cron ticks for the whole plan send what the simulation sends, provider by provider and
/// day by day, within the per-day invariants.
fn cron_run(scenario: &str) -> Vec<(u64, String, NaiveDate, String)> {
    let dir = project(scenario);
    let expected = simulated(dir.path());
    cron_ticks(dir.path(), 1..=DAYS);
    let sent = emails(dir.path());
    check_days(&sent);
    let mut actual = BTreeMap::new();
    for (_, _, date, provider) in &sent {
        *actual.entry((*date, provider.clone())).or_insert(0u64) += 1;
    }
    assert_eq!(actual, expected, "cron ticks and the simulation differ");
    sent
}

#[test]
fn plan_driven_from_cron_at_00_00_30_and_09_01() {
    cron_run("plan-driven.yaml");
}

#[test]
fn variant_1_from_cron_at_00_00_30_and_09_01() {
    cron_run("variant-1.yaml");
}

#[test]
fn variant_2_from_cron_never_repeats_a_template() {
    let sent = cron_run("variant-2.yaml");
    let mut seen = BTreeSet::new();
    for (customer, template, date, _) in &sent {
        assert!(
            seen.insert((*customer, template.clone())),
            "customer {customer} got `{template}` again on {date}"
        );
    }
}

#[test]
fn an_outage_over_midnight_is_decided_and_reported_not_slipped() {
    let dir = project("plan-driven.yaml");
    cron_ticks(dir.path(), 1..=2);
    tick(dir.path(), local(3, 0, 0, 30));
    // Down from day 3 08:00 until day 5 10:20.
    let back = tick(dir.path(), local(5, 10, 20, 0));
    assert!(back.contains("e-mails skipped as too late"), "{back}");
    assert!(back.contains("1 scheduled fires missed"), "{back}");
    cron_ticks(dir.path(), 6..=7);
    let sent = emails(dir.path());
    let per_day = check_days(&sent);
    every_day_sends(&per_day, [1, 2, 5, 6, 7].into_iter());
    for day in [3, 4] {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap() + Duration::days(day - 1);
        assert_eq!(
            per_day.get(&date),
            None,
            "day {day} is skipped, not sent late"
        );
    }
    let status = warmup(dir.path())
        .args(["status", "--now", &local(7, 9, 2, 0).to_rfc3339()])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("late_skipped"), "{status}");
    assert!(
        status.contains("1 missed while the engine was down"),
        "{status}"
    );
    // Next fire follows from what ran (day 7), not from the wall clock.
    assert!(
        status.contains(&format!("{} (day 8)", local(8, 0, 0, 0).to_rfc3339())),
        "{status}"
    );
}
