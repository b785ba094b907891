//! The engine's commands through the real binary: simulate (table, JSON, chart, bad input),
//! tick and status, run stopping cleanly on SIGTERM, and the demo.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::prelude::*;
use predicates::prelude::*;

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

/// A copy of the example project with 1,000 imported sample customers.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    std::fs::copy(repo().join("warmup.yaml"), out.join("warmup.yaml")).unwrap();
    std::fs::create_dir_all(out.join("scenarios")).unwrap();
    for name in ["plan-driven.yaml", "variant-1.yaml"] {
        std::fs::copy(
            repo().join("scenarios").join(name),
            out.join("scenarios").join(name),
        )
        .unwrap();
    }
    copy_dir(&repo().join("templates"), &out.join("templates"));
    let csv = out.join("engaged.csv");
    warmup::sample::Sample::new(5)
        .write_csv(std::fs::File::create(&csv).unwrap(), 1000)
        .unwrap();
    warmup(out)
        .args(["import", "customers", "engaged.csv", "--tag", "engaged-90"])
        .assert()
        .success();
    dir
}

#[test]
fn simulate_prints_json_and_writes_the_chart_without_touching_the_store() {
    let dir = project();
    let output = warmup(dir.path())
        .args([
            "simulate",
            "--from",
            "2026-12-01",
            "--days",
            "3",
            "--json",
            "--chart",
            "ramp.svg",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let days = report["days"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    let day1: u64 = days[0]["sends"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(day1, 150, "the plan's day-1 caps: 50 + 30 + 20 + 20 + 30");
    // Day 2 repeats day 1 (no volume increase, the same audience); day 3 ramps up.
    assert_eq!(days[1]["caps"]["gmail"], 50);
    assert_eq!(days[2]["caps"]["gmail"], 125);
    let svg = std::fs::read_to_string(dir.path().join("ramp.svg")).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"));
    // The simulation wrote nothing: a second one sees the same customers and starts afresh.
    let again = warmup(dir.path())
        .args(["simulate", "--from", "2026-12-01", "--days", "3", "--json"])
        .output()
        .unwrap();
    assert_eq!(again.stdout, output.stdout);
    warmup(dir.path())
        .args(["status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("runs: 0"));
}

#[test]
fn simulate_prints_the_table_for_named_scenarios() {
    let dir = project();
    warmup(dir.path())
        .args([
            "simulate",
            "scenarios/variant-1.yaml",
            "--from",
            "2026-12-01",
            "--days",
            "2",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("klaviyo-warmup-variant-1"))
        .stdout(predicate::str::contains(
            "E-mails sent per mailbox provider",
        ));
}

#[test]
fn simulate_rejects_bad_input_with_exit_code_2() {
    let dir = project();
    warmup(dir.path())
        .args(["simulate", "--from", "2026-12-01", "--days", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--days must be at least 1"));
    warmup(dir.path())
        .args(["simulate", "--from", "2026-13-01"])
        .assert()
        .code(2);
    std::fs::write(
        dir.path().join("broken.yaml"),
        "name: broken\nnodes:\n  a: { kind: nope }\n",
    )
    .unwrap();
    warmup(dir.path())
        .args(["simulate", "broken.yaml", "--from", "2026-12-01"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.yaml:3"));
}

#[test]
fn tick_runs_what_is_due_and_status_shows_runs_parked_tokens_and_next_fires() {
    let dir = project();
    warmup(dir.path())
        .args(["tick", "--capture", "--now", "2026-11-30T12:00:00+01:00"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 runs started"));
    warmup(dir.path())
        .args(["tick", "--capture", "--now", "2026-12-01T00:00:05+01:00"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 runs started"));
    warmup(dir.path())
        .args(["status"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "run 1 klaviyo-warmup-plan version",
        ))
        .stdout(predicate::str::contains(
            "status Open entered 1000 parked 150",
        ))
        .stdout(predicate::str::contains(
            "2026-12-01T08:00:00+00:00 run 1 node 256: 150",
        ))
        .stdout(predicate::str::contains("cap: entered"));
    warmup(dir.path())
        .args(["tick", "--capture", "--now", "2026-12-01T09:00:05+01:00"])
        .assert()
        .success()
        .stdout(predicate::str::contains("150 e-mails"));
    let journal =
        std::fs::read_to_string(dir.path().join(".warmup/captured-actions.jsonl")).unwrap();
    assert_eq!(
        journal
            .lines()
            .filter(|l| l.contains("\"kind\":\"email\""))
            .count(),
        150
    );
    warmup(dir.path())
        .args(["tick", "--capture", "--now", "not a time"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an RFC 3339 date-time"));
}

#[test]
fn run_stops_cleanly_on_sigterm() {
    let dir = project();
    let child = Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(dir.path())
        .args(["run", "--capture"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("stopping at the next e-mail, webhook call or wave"));
}

#[test]
fn demo_simulates_the_plan_on_generated_customers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    warmup(dir.path())
        .args(["demo", "--customers", "1500", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("klaviyo-warmup-plan"))
        .stdout(predicate::str::contains(
            "E-mails sent per mailbox provider",
        ))
        .stderr(predicate::str::contains("imported 1500 sample customers"));
    assert!(out.join("ramp.svg").exists());
    assert!(out.join("scenarios/plan-driven.yaml").exists());
    assert!(out.join("templates/day-14/subject.txt").exists());
}

#[test]
fn an_email_cut_off_by_a_crash_is_reported_not_resent() {
    let dir = project();
    for now in ["2026-11-30T12:00:00+01:00", "2026-12-01T00:00:05+01:00"] {
        warmup(dir.path())
            .args(["tick", "--capture", "--now", now])
            .assert()
            .success();
    }
    warmup(dir.path())
        .args(["tick", "--capture", "--now", "2026-12-01T09:00:05+01:00"])
        .env("WARMUP_CRASH_AT", "email-sent:3")
        .assert()
        .failure();
    warmup(dir.path())
        .args(["tick", "--capture", "--now", "2026-12-01T09:00:05+01:00"])
        .assert()
        // Exit 3: the unconfirmed e-mails fail their step.
        .code(3)
        .stdout(predicate::str::contains(
            "were being sent when the engine stopped and are not resent",
        ));
    let status = warmup(dir.path()).arg("status").output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    let line = status
        .lines()
        .find(|l| l.starts_with("e-mails left uncertain"))
        .unwrap();
    let uncertain: usize = line
        .split(": ")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let group = warmup::engine::nodes::email_ledger::MAX_GROUP;
    assert!((1..=group).contains(&uncertain), "{line}");
    assert!(status.contains("node mail customer"), "{status}");
    let listed = warmup(dir.path())
        .args(["uncertain", "list", "--json"])
        .output()
        .unwrap();
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed.len(), uncertain);
    let journal =
        std::fs::read_to_string(dir.path().join(".warmup/captured-actions.jsonl")).unwrap();
    let emailed: Vec<u64> = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["kind"] == "email")
        .map(|l| l["customer"].as_u64().unwrap())
        .collect();
    let distinct: std::collections::HashSet<u64> = emailed.iter().copied().collect();
    assert_eq!(distinct.len(), emailed.len(), "an e-mail was sent twice");
    let unsent_uncertain = listed
        .iter()
        .filter(|row| !distinct.contains(&row["customer"].as_u64().unwrap()))
        .count();
    assert_eq!(
        emailed.len() + unsent_uncertain,
        150,
        "everyone got the e-mail once or is uncertain"
    );
    assert!(
        uncertain - unsent_uncertain <= 3,
        "three were sent before the crash"
    );
}
