//! Per-message confirmation of e-mails, proven with SIGKILL: `warmup tick` e-mails a wave of
//! customers over SMTP to a loopback receiver and is killed again and again while it sends
//! (each kill lands right after the receiver took a random number of further messages),
//! restarted each time, until a tick finishes. Then nobody got the e-mail twice, every
//! message the receiver got is confirmed in the ledger or listed as uncertain, everyone got
//! it or is uncertain, and each kill left only the messages in flight uncertain: at most one
//! group of intents (a few milliseconds of sending) against a fast server, at most the one
//! message in flight against a slow one. The `delivered` statistic counts each confirmed
//! e-mail once.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::email_wave::{
    delivered_stat, import_customers, ledger, received, warmup, write_project,
};
use support::smtp_server::SmtpServer;
use warmup::engine::nodes::email_ledger::MAX_GROUP;
use warmup::engine::state::LedgerState;

const TRIGGER: &str =
    r#"{ kind: repeat, at: "09:00", start: "2026-12-01", end: "2026-12-01", next: mail }"#;
const SEND_AT: &str = "2026-12-01T09:00:10Z";

/// Ticks at [`SEND_AT`], SIGKILLing each attempt once the receiver took `1..spread` more
/// messages, until an attempt finishes (or `kills` kills); then a clean tick. Returns the
/// number of attempts killed while sending.
fn tick_with_kills(dir: &Path, smtp: &SmtpServer, kills: u32, spread: usize, seed: u64) -> u32 {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut killed = 0;
    for _ in 0..kills {
        let start = smtp.accepted();
        let wanted = start + rng.random_range(1..spread);
        let mut child = warmup(dir)
            .args(["tick", "--now", SEND_AT])
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "a tick failed: {status}");
                break true;
            }
            if smtp.accepted() >= wanted {
                child.kill().unwrap();
                child.wait().unwrap();
                break false;
            }
            assert!(Instant::now() < deadline, "the tick hangs");
            std::thread::sleep(Duration::from_micros(200));
        };
        if finished {
            break;
        }
        killed += 1;
    }
    let status = warmup(dir)
        .args(["tick", "--now", SEND_AT])
        .status()
        .unwrap();
    // Exit 3 says that steps failed: e-mails left uncertain by the kills are reported so.
    assert!(
        matches!(status.code(), Some(0 | 3)),
        "a clean tick failed: {status}"
    );
    killed
}

/// Drives a wave of `customers` through kills and checks what the receiver got against the
/// ledger; returns (kills, uncertain).
fn killed_wave(smtp: &SmtpServer, customers: usize, spread: usize, seed: u64) -> (u32, usize) {
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), smtp.port, TRIGGER);
    let people = import_customers(dir.path(), customers);
    let status = warmup(dir.path())
        .args(["tick", "--now", "2026-11-30T12:00:00Z"])
        .status()
        .unwrap();
    assert!(status.success());
    let kills = tick_with_kills(dir.path(), smtp, 12, spread, seed);
    assert!(kills >= 3, "only {kills} kills landed while sending");
    // A message whose answer the killed client never read is still taken by the receiver.
    std::thread::sleep(Duration::from_millis(200));
    let got = received(smtp);
    let entries = ledger(dir.path());
    for (to, times) in &got {
        assert_eq!(*times, 1, "{to} got the e-mail {times} times");
        let entry = entries.get(to).copied();
        assert!(
            matches!(entry, Some(LedgerState::Done | LedgerState::Uncertain)),
            "{to} received, ledger {entry:?}"
        );
    }
    let uncertain: Vec<&String> = entries
        .iter()
        .filter(|(_, state)| **state == LedgerState::Uncertain)
        .map(|(to, _)| to)
        .collect();
    for person in &people {
        assert!(
            got.contains_key(person) || uncertain.contains(&person),
            "{person} neither got the e-mail nor is uncertain"
        );
    }
    assert!(
        entries
            .values()
            .all(|state| matches!(state, LedgerState::Done | LedgerState::Uncertain)),
        "open intents or failures left"
    );
    let done = entries
        .values()
        .filter(|state| **state == LedgerState::Done)
        .count();
    assert_eq!(
        delivered_stat(dir.path()),
        done as u64,
        "deliveries counted once per confirmed e-mail"
    );
    eprintln!(
        "{customers} customers: {kills} kills, {} uncertain, {} received",
        uncertain.len(),
        got.len()
    );
    (kills, uncertain.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_leaves_only_one_group_of_intents_uncertain_on_a_fast_server() {
    let smtp = SmtpServer::start().await;
    let (smtp, (kills, uncertain)) = tokio::task::spawn_blocking(move || {
        let outcome = killed_wave(&smtp, 800, 120, 7);
        (smtp, outcome)
    })
    .await
    .unwrap();
    assert!(
        uncertain <= kills as usize * MAX_GROUP,
        "{uncertain} uncertain after {kills} kills"
    );
    drop(smtp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_leaves_only_the_message_in_flight_uncertain_on_a_slow_server() {
    let smtp = SmtpServer::start().await;
    // Slower than the confirmation window: every message gets its own intent.
    smtp.state
        .data_delay_ms
        .store(30, std::sync::atomic::Ordering::SeqCst);
    let (smtp, (kills, uncertain)) = tokio::task::spawn_blocking(move || {
        let outcome = killed_wave(&smtp, 150, 12, 11);
        (smtp, outcome)
    })
    .await
    .unwrap();
    assert!(
        uncertain <= kills as usize,
        "{uncertain} uncertain after {kills} kills"
    );
    drop(smtp);
}
