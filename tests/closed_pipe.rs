//! A reader that goes away (`warmup … | head`) never makes a command panic or hang: the
//! command finishes its work, drops the rest of its output and exits with its usual code.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

/// Runs `warmup args` in `dir` with stdout (and stderr when `both`) a pipe whose reader
/// is closed before the command writes; returns the exit code.
fn closed_pipe(dir: &Path, args: &[&str], both: bool, env: &[(&str, &str)]) -> Option<i32> {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command
        .current_dir(dir)
        .env_remove("WARMUP_PROJECT")
        .env_remove("WARMUP_CRASH_AT")
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if both {
            Stdio::piped()
        } else {
            Stdio::inherit()
        });
    let mut child = command.spawn().unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if started.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("`warmup {}` hangs with a closed pipe", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn warmup(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(dir)
        .env_remove("WARMUP_PROJECT")
        .args(args)
        .output()
        .unwrap()
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        "timezone: UTC\nscenarios: [flow.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("flow.yaml"),
        "name: flow\nnodes:\n  start: { kind: on_date, at: \"2026-12-01T00:00\", next: pause }\n  pause: { kind: wait, for: 1h, next: done }\n  done: { kind: add_event, event: waited }\n",
    )
    .unwrap();
    let mut csv = String::from("Email,Note\n");
    for i in 0..2000 {
        csv.push_str(&format!("c{i}@example.com,n{i}\n"));
    }
    csv.push_str("bad-row\n");
    std::fs::write(dir.path().join("customers.csv"), csv).unwrap();
    dir
}

#[test]
fn validate_with_a_closed_stdout_exits_with_its_code() {
    let dir = project();
    let mut text = String::from("name: many\nnodes:\n");
    for i in 0..2000 {
        text.push_str(&format!(
            "  x{i}: {{ kind: wait, for: 1h, next: nope{i} }}\n"
        ));
    }
    std::fs::write(dir.path().join("many.yaml"), text).unwrap();
    assert_eq!(
        closed_pipe(dir.path(), &["validate", "many.yaml"], true, &[]),
        Some(2)
    );
    assert_eq!(closed_pipe(dir.path(), &["validate"], true, &[]), Some(0));
}

#[test]
fn import_and_simulate_with_a_closed_stdout_finish_their_work() {
    let dir = project();
    // One bad row: the import's own exit code for rejected rows, not a panic.
    assert_eq!(
        closed_pipe(
            dir.path(),
            &["import", "customers", "customers.csv"],
            true,
            &[]
        ),
        Some(4)
    );
    let count = warmup(dir.path(), &["customers", "count"]);
    assert_eq!(String::from_utf8_lossy(&count.stdout), "2000\n");
    let args = ["simulate", "--from", "2026-12-01", "--days", "2", "--json"];
    assert_eq!(closed_pipe(dir.path(), &args, true, &[]), Some(0));
}

#[test]
fn tick_logging_into_a_closed_pipe_completes_its_run_and_releases_the_store() {
    let dir = project();
    warmup(dir.path(), &["import", "customers", "customers.csv"]);
    warmup(dir.path(), &["tick", "--now", "2026-11-30T00:00:00Z"]);
    // As `warmup tick 2>&1 | head`, with every log line the engine can write.
    let args = ["tick", "--now", "2026-12-01T00:00:05Z"];
    let trace = [("WARMUP_LOG", "trace")];
    assert_eq!(closed_pipe(dir.path(), &args, true, &trace), Some(0));
    let status = warmup(dir.path(), &["status"]);
    assert!(status.status.success(), "{status:?}");
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("entered 2000 parked 2000"),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
}
