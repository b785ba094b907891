//! Durations are bounded: `validate` refuses a wait beyond 366 days (W0043), and a wait
//! template that yields one for a customer fails that customer's step only — the tick
//! goes on for everyone else and exits normally (it used to panic on every tick).

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn warmup(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("warmup").expect("binary");
    command
        .env_remove("WARMUP_PROJECT")
        .env_remove("WARMUP_CRASH_AT")
        .current_dir(dir);
    command
}

fn project(wait: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        "timezone: UTC\nscenarios: [flow.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("flow.yaml"),
        format!(
            "name: delays\nnodes:\n  start: {{ kind: on_date, at: \"2026-12-01T00:00\", next: pause }}\n  pause: {{ kind: wait, {wait}, next: done }}\n  done: {{ kind: add_event, event: waited }}\n"
        ),
    )
    .unwrap();
    dir
}

#[test]
fn validate_refuses_a_wait_longer_than_366_days() {
    for (wait, column) in [
        ("for: 100000000d", 29),
        ("for: 99999999999999999999999d", 29),
    ] {
        let dir = project(wait);
        warmup(dir.path())
            .arg("validate")
            .assert()
            .code(2)
            .stdout(predicate::str::contains(format!("flow.yaml:4:{column}]")))
            .stdout(predicate::str::contains(
                "is longer than the longest allowed, 366 days",
            ))
            .stdout(predicate::str::contains("W0043"));
    }
    let dir = project("for: 366d");
    warmup(dir.path()).arg("validate").assert().code(0);
}

#[test]
fn a_customer_whose_wait_template_yields_100000000d_fails_alone() {
    let dir = project("template: \"{{ customer.delay }}\"");
    std::fs::write(
        dir.path().join("customers.csv"),
        "Email,Delay\na@example.com,1h\nb@example.com,100000000d\nc@example.com,2h\nd@example.com,99999999999999999999d\n",
    )
    .unwrap();
    warmup(dir.path())
        .args(["import", "customers", "customers.csv"])
        .assert()
        .success();
    warmup(dir.path()).arg("validate").assert().code(0);
    warmup(dir.path())
        .args(["tick", "--now", "2026-11-30T00:00:00Z"])
        .assert()
        .success();
    // Failed steps are reported with the tick's exit code for them (3), not a crash (101).
    let fired = warmup(dir.path())
        .args(["tick", "--now", "2026-12-01T00:00:05Z"])
        .output()
        .unwrap();
    assert_eq!(fired.status.code(), Some(3), "{fired:?}");
    assert!(
        String::from_utf8_lossy(&fired.stdout).contains("2 customers failed a step"),
        "{fired:?}"
    );
    warmup(dir.path())
        .args(["tick", "--now", "2026-12-01T03:00:00Z"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 tokens"));
    warmup(dir.path())
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "pause: entered 4, failed 2, next 2",
        ))
        .stdout(predicate::str::contains("done: entered 2"));
}
