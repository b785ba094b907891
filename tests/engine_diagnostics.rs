//! What `warmup tick` tells an operator on standard error and in its summary line: webhook
//! retries as warnings (secret redacted), `WARMUP_LOG` to quieten or widen them, and failed
//! steps counted.

use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::prelude::*;

mod support;
use support::scripted_http::serve;

const SECRET: &str = "hook-secret-4711";

/// A project with one customer and a scenario calling the server once at 2026-12-01 00:00,
/// already known to the engine.
fn project(root: &Path, port: u16) {
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "warmup.yaml",
        r#"
timezone: Europe/Prague
auth:
  hook:
    secret: { env: WARMUP_TEST_HOOK_KEY }
    headers: { Authorization: "Bearer {{ secret }}" }
"#,
    );
    write(
        "scenarios/hook.yaml",
        &format!(
            r#"
name: hook
nodes:
  start: {{ kind: on_date, at: "2026-12-01T00:00", next: notify }}
  notify:
    kind: webhook
    url: "http://127.0.0.1:{port}/moved?key={SECRET}"
    auth: hook
    body: {{ email: "{{{{ customer.email }}}}" }}
    retry: {{ max_attempts: 3, initial_backoff: 10ms, max_backoff: 20ms }}
"#
        ),
    );
    write("customers.csv", "Email\nann@gmail.com\n");
    warmup(root, None)
        .args(["import", "customers", "customers.csv"])
        .assert()
        .success();
    // The engine first sees the scenario before its date, so the fire is not a missed one.
    warmup(root, None)
        .args(["tick", "--now", "2026-11-30T12:00:00Z"])
        .assert()
        .success();
}

fn warmup(root: &Path, log: Option<&str>) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command
        .current_dir(root)
        .env_remove("WARMUP_LOG")
        .env("WARMUP_TEST_HOOK_KEY", SECRET);
    if let Some(log) = log {
        command.env("WARMUP_LOG", log);
    }
    command
}

fn tick(root: &Path, log: Option<&str>) -> (String, String) {
    tick_exiting(root, log, 0)
}

/// The tick, checked to exit with `code` (3: a step failed).
fn tick_exiting(root: &Path, log: Option<&str>, code: i32) -> (String, String) {
    let output: Output = warmup(root, log)
        .args(["tick", "--now", "2026-12-01T00:00:10+01:00"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn a_retried_webhook_is_a_warning_without_the_secret() {
    let (port, requests) = serve(&[503, 200]);
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), port);
    let (stdout, stderr) = tick(dir.path(), None);
    assert_eq!(requests.lock().unwrap().len(), 2);
    assert!(stdout.contains("1 webhook calls"), "{stdout}");
    assert!(!stdout.contains("failed a step"), "{stdout}");
    let retries: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("webhook retry"))
        .collect();
    assert_eq!(retries.len(), 1, "{stderr}");
    assert!(retries[0].contains("WARN"), "{stderr}");
    assert!(retries[0].contains("node=notify"), "{stderr}");
    assert!(retries[0].contains("attempts=1"), "{stderr}");
    assert!(retries[0].contains("HTTP 503"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[test]
fn warmup_log_quietens_and_a_bad_filter_is_reported() {
    let (port, _) = serve(&[503, 200]);
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), port);
    let (_, stderr) = tick(dir.path(), Some("error"));
    assert!(!stderr.contains("webhook retry"), "{stderr}");

    let (port, _) = serve(&[503, 200]);
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), port);
    let (stdout, stderr) = tick(dir.path(), Some("warmup=[nonsense"));
    assert!(stdout.contains("1 webhook calls"), "{stdout}");
    assert!(
        stderr.contains("WARMUP_LOG=`warmup=[nonsense` ignored"),
        "{stderr}"
    );
    assert!(stderr.contains("webhook retry"), "{stderr}");
}

#[test]
fn failed_steps_are_counted_in_the_summary() {
    let (port, requests) = serve(&[404]);
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), port);
    let (stdout, stderr) = tick_exiting(dir.path(), None, 3);
    assert_eq!(requests.lock().unwrap().len(), 1, "404 is not retried");
    assert!(
        stdout.contains("; 1 customers failed a step (per node in `warmup status`)"),
        "{stdout}"
    );
    // Which node, and why (the secret in the URL redacted).
    assert!(
        stdout.contains("\n  failed at hook/notify: 1 failed: HTTP 404"),
        "{stdout}"
    );
    assert!(!stdout.contains(SECRET), "{stdout}");
    // One line per failed customer would flood a log; failures are counted instead.
    assert!(!stderr.contains("step failed"), "{stderr}");
    let status = warmup(dir.path(), None).arg("status").output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("failed 1"), "{status}");
    assert!(status.contains("notify 1 failed: HTTP 404"), "{status}");
    assert!(!status.contains(SECRET), "{status}");
}
