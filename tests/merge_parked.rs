//! Identity merges of customers whose tokens are parked in a run, through the real binary:
//! two customers wait at `#256` until the sending hour, one record then names both hard IDs
//! (an `import events` line or a customer import), and the next tick must send the run's
//! e-mail once to the merged customer, leave nothing parked and finish in bounded time.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use warmup::engine::state::SledKv;
use warmup::engine::EngineState;
use warmup::store::Store;

const SCENARIO: &str = r#"name: merge-parked
nodes:
  "229": { kind: on_date, at: "2026-12-01T00:00", next: "256" }
  "256": { kind: wait, until: "09:00", next: mail }
  mail: { kind: email, template: day-1 }
"#;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

/// The example project with a one-wait scenario and three customers (a, b, c).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let project = std::fs::read_to_string(repo().join("warmup.yaml"))
        .unwrap()
        .replace("scenarios/plan-driven.yaml", "scenarios/merge.yaml");
    std::fs::write(root.join("warmup.yaml"), project).unwrap();
    std::fs::create_dir_all(root.join("scenarios")).unwrap();
    std::fs::write(root.join("scenarios/merge.yaml"), SCENARIO).unwrap();
    copy_dir(&repo().join("templates"), &root.join("templates"));
    std::fs::write(
        root.join("customers.csv"),
        "Email,Klaviyo ID\r\na@example.com,KA\r\nb@example.com,KB\r\nc@example.com,KC\r\n",
    )
    .unwrap();
    let out = run(root, &["import", "customers", "customers.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the binary, killing it (and failing) if it does not finish within 30 s.
fn run(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warmup"))
        .current_dir(dir)
        .args(args)
        .env_remove("WARMUP_CRASH_AT")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`warmup {}` did not finish within 30 s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn tick(dir: &Path, now: &str) -> Output {
    let out = run(dir, &["tick", "--capture", "--now", now]);
    assert!(out.status.success(), "tick at {now}: {}", stderr(&out));
    out
}

/// The e-mails captured so far, as customer ids.
fn emailed(dir: &Path) -> Vec<u64> {
    let text =
        std::fs::read_to_string(dir.join(".warmup/captured-actions.jsonl")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["kind"] == "email")
        .map(|l| l["customer"].as_u64().unwrap())
        .collect()
}

fn nothing_parked(dir: &Path) {
    let store = Store::open(&dir.join(".warmup")).unwrap();
    let state = EngineState::new(Box::new(SledKv::open(store.db()).unwrap()));
    assert!(
        state.due_summary().unwrap().is_empty(),
        "tokens still parked"
    );
}

/// Parks a, b and c, merges a and b by `merge_args` (a file written by `write`), wakes them.
fn merge_while_parked(write: impl Fn(&Path), merge_args: &[&str]) -> tempfile::TempDir {
    let dir = project();
    let root = dir.path();
    // Registers the scenario before its fire.
    tick(root, "2026-11-30T12:00:00+01:00");
    tick(root, "2026-12-01T00:00:10+01:00");
    assert!(emailed(root).is_empty(), "everyone waits for 09:00");
    write(root);
    let out = run(root, merge_args);
    assert!(out.status.success(), "{}", stderr(&out));
    tick(root, "2026-12-01T09:00:10+01:00");
    let mut sent = emailed(root);
    sent.sort_unstable();
    assert_eq!(sent, vec![1, 3], "the merged customer once, c once");
    // Later ticks neither spin nor send again.
    tick(root, "2026-12-01T09:05:00+01:00");
    tick(root, "2026-12-02T09:05:00+01:00");
    assert_eq!(emailed(root).len(), 2);
    nothing_parked(root);
    dir
}

#[test]
fn a_merge_by_an_imported_event_sends_the_parked_run_once() {
    merge_while_parked(
        |root| {
            std::fs::write(
                root.join("merge.jsonl"),
                r#"{"email": "b@example.com", "klaviyo_id": "KA", "type": "page_view", "timestamp": "2026-12-01T05:00:00Z"}"#,
            )
            .unwrap()
        },
        &["import", "events", "merge.jsonl"],
    );
}

#[test]
fn a_merge_by_a_customer_import_sends_the_parked_run_once() {
    let dir = merge_while_parked(
        |root| {
            std::fs::write(
                root.join("merge.csv"),
                "Email,Klaviyo ID\nb@example.com,KA\n",
            )
            .unwrap()
        },
        &["import", "customers", "merge.csv"],
    );
    // The status report shows the absorbed customer's token as merged, not as lost.
    let out = run(dir.path(), &["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.contains("256: entered 3, merged 1, next 2"),
        "{status}"
    );
}

/// Marks every merge so far as handed over without moving anything, as if the merge had
/// arrived while a tick was running (the HTTP API of `warmup run`).
fn skip_journal(dir: &Path) {
    let store = Store::open(&dir.join(".warmup")).unwrap();
    let state = EngineState::new(Box::new(SledKv::open(store.db()).unwrap()));
    let mut commit = warmup::engine::state::Commit::new();
    commit.put_meta("merge_cursor", store.last_merge_seq().unwrap());
    state.commit(commit).unwrap();
    state.flush().unwrap();
}

#[test]
fn a_merge_met_only_while_waking_is_handed_over_there() {
    let dir = project();
    let root = dir.path();
    tick(root, "2026-11-30T12:00:00+01:00");
    tick(root, "2026-12-01T00:00:10+01:00");
    std::fs::write(
        root.join("merge.csv"),
        "Email,Klaviyo ID\nb@example.com,KA\n",
    )
    .unwrap();
    let out = run(root, &["import", "customers", "merge.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    skip_journal(root);
    tick(root, "2026-12-01T09:00:10+01:00");
    let mut sent = emailed(root);
    sent.sort_unstable();
    assert_eq!(sent, vec![1, 3]);
    nothing_parked(root);
}

#[test]
fn a_parked_entry_without_its_token_is_dropped_and_counted_not_woken_forever() {
    let dir = project();
    let root = dir.path();
    tick(root, "2026-11-30T12:00:00+01:00");
    tick(root, "2026-12-01T00:00:10+01:00");
    {
        let store = Store::open(&root.join(".warmup")).unwrap();
        let state = EngineState::new(Box::new(SledKv::open(store.db()).unwrap()));
        let mut commit = warmup::engine::state::Commit::new();
        commit.delete_token(1, 2);
        state.commit(commit).unwrap();
        state.flush().unwrap();
    }
    let out = run(
        root,
        &["tick", "--capture", "--now", "2026-12-01T09:00:10+01:00"],
    );
    // The dropped entry is a failed step of this tick: exit 3.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let mut sent = emailed(root);
    sent.sort_unstable();
    assert_eq!(sent, vec![1, 3]);
    assert!(
        stderr(&out).contains("removed a parked entry without its token"),
        "{}",
        stderr(&out)
    );
    nothing_parked(root);
}

/// The state an earlier version left behind: the survivor woken in the absorbed customer's
/// place, the run marked done, the absorbed customer's parked entry still there.
#[test]
fn a_store_left_spinning_by_an_earlier_version_recovers() {
    let dir = project();
    let root = dir.path();
    tick(root, "2026-11-30T12:00:00+01:00");
    tick(root, "2026-12-01T00:00:10+01:00");
    std::fs::write(
        root.join("merge.csv"),
        "Email,Klaviyo ID\nb@example.com,KA\n",
    )
    .unwrap();
    let out = run(root, &["import", "customers", "merge.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    skip_journal(root);
    {
        let store = Store::open(&root.join(".warmup")).unwrap();
        let state = EngineState::new(Box::new(SledKv::open(store.db()).unwrap()));
        let mut run = state.run(1).unwrap().unwrap();
        run.status = warmup::engine::state::RunStatus::Done;
        let mut commit = warmup::engine::state::Commit::new();
        commit.put_run(&run).unwrap();
        state.commit(commit).unwrap();
        state.flush().unwrap();
    }
    tick(root, "2026-12-01T09:00:10+01:00");
    let mut sent = emailed(root);
    sent.sort_unstable();
    assert_eq!(sent, vec![1, 3]);
    nothing_parked(root);
}
