//! `warmup validate` on large and hostile inputs: no panic, no stack overflow, no hang.
//! The time limits are generous no-hang bounds (debug builds on a busy machine), not
//! performance measurements; those belong to benchmarks.

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

fn warmup(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("warmup").expect("binary");
    command
        .env_remove("WARMUP_PROJECT")
        .current_dir(dir)
        .timeout(Duration::from_secs(240));
    command
}

fn project(dir: &Path) {
    std::fs::write(dir.join("warmup.yaml"), "timezone: UTC\n").unwrap();
}

/// A scenario whose nodes form one chain: a trigger, `waits` waits, a webhook.
fn chain(waits: usize) -> String {
    let mut text = String::from("name: chain\nnodes:\n");
    text.push_str("  n0: { kind: on_date, at: \"2026-12-01T00:00\", next: n1 }\n");
    for i in 1..=waits {
        text.push_str(&format!(
            "  n{i}: {{ kind: wait, for: 1h, next: n{} }}\n",
            i + 1
        ));
    }
    text.push_str(&format!(
        "  n{}: {{ kind: add_event, event: done }}\n",
        waits + 1
    ));
    text
}

#[test]
fn a_chain_of_100000_nodes_validates_without_overflowing_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    std::fs::write(dir.path().join("chain.yaml"), chain(100_000)).unwrap();
    warmup(dir.path())
        .args(["validate", "chain.yaml"])
        .assert()
        .code(0)
        .stdout("2 files, 0 errors\n");
}

#[test]
fn a_diagnostic_past_column_65535_is_reported_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let name = "y".repeat(70_000);
    let text = format!(
        "name: wide\nnodes:\n  start: {{ kind: on_date, at: \"2026-12-01T00:00\", name: \"{name}\", next: mial }}\n  mail: {{ kind: add_event, event: done }}\n"
    );
    std::fs::write(dir.path().join("wide.yaml"), text).unwrap();
    let column = 3
        + "start: { kind: on_date, at: \"2026-12-01T00:00\", name: \"".len()
        + 70_000
        + "\", next: ".len();
    warmup(dir.path())
        .args(["validate", "wide.yaml"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(format!(
            "wide.yaml:3:{column}: W0008 node `start`: edge `next` leads to missing node `mial`"
        )))
        .stdout(predicate::str::contains("help: did you mean `mail`?"));
}

#[test]
fn a_project_nested_100000_deep_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        "timezone: UTC\nsegments:\n  a: {}{{ property: x, exists: true }}{}\n",
        "{ not: ".repeat(100_000),
        " }".repeat(100_000)
    );
    std::fs::write(dir.path().join("warmup.yaml"), deep).unwrap();
    warmup(dir.path())
        .timeout(Duration::from_secs(60))
        .arg("validate")
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "warmup.yaml:3:447: W0001 YAML syntax error: nested deeper than 64 levels",
        ));
}

#[test]
fn a_chain_of_100000_segments_reports_each_too_deep_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut text =
        String::from("timezone: UTC\nconsent_categories: { newsletter: {} }\nsegments:\n");
    for i in 0..100_000 {
        text.push_str(&format!("  s{i}: {{ segment: s{} }}\n", i + 1));
    }
    text.push_str("  s100000: { consent: newsletter }\n");
    std::fs::write(dir.path().join("warmup.yaml"), text).unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    let output = warmup(dir.path()).arg("validate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // s99985 … s100000 nest at most 16 deep; every other segment is reported.
    let tail = stdout.lines().last().unwrap_or_default();
    assert!(tail.ends_with(", 99985 errors"), "{tail}");
    assert!(stdout.contains("W0044"));
}
