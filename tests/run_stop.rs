//! SIGTERM during `warmup run` stops a long wave between two e-mails instead of at its end
//! (systemd waits 90 s before it kills): a wave of 2,000 e-mails to a slow loopback SMTP
//! receiver (at least 5 ms a message, 10 s for the wave) is stopped a moment after it began
//! sending; `run` exits 0 within a few seconds with every sent e-mail confirmed and none
//! uncertain, and the next start sends the rest, each customer once.

mod support;

use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DurationRound, Utc};
use support::email_wave::{import_customers, ledger, received, warmup, write_project};
use support::smtp_server::SmtpServer;
use warmup::engine::state::LedgerState;

const CUSTOMERS: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_long_wave_at_the_next_email_and_the_next_start_sends_the_rest() {
    let smtp = SmtpServer::start().await;
    smtp.state.data_delay_ms.store(5, Ordering::SeqCst);
    let smtp = tokio::task::spawn_blocking(move || {
        stop_and_resume(&smtp);
        smtp
    })
    .await
    .unwrap();
    drop(smtp);
}

fn stop_and_resume(smtp: &SmtpServer) {
    let dir = tempfile::tempdir().unwrap();
    // Due at the start of this minute (real time: `run` has no --now).
    let at = Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap();
    let trigger = format!(
        r#"{{ kind: on_date, at: "{}", next: mail }}"#,
        at.format("%Y-%m-%dT%H:%M")
    );
    write_project(dir.path(), smtp.port, &trigger);
    let people = import_customers(dir.path(), CUSTOMERS);
    let before = (at - chrono::Duration::minutes(2)).to_rfc3339();
    assert!(warmup(dir.path())
        .args(["tick", "--now", &before])
        .status()
        .unwrap()
        .success());

    let mut child = warmup(dir.path())
        .arg("run")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while smtp.accepted() < 50 {
        assert!(Instant::now() < deadline, "run sends nothing");
        assert!(child.try_wait().unwrap().is_none(), "run exited early");
        std::thread::sleep(Duration::from_millis(5));
    }
    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stopped_in = signalled.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stopped_in < Duration::from_secs(4),
        "run took {stopped_in:?} to stop"
    );
    assert!(
        stderr.contains("stopped before the end of the wave"),
        "{stderr}"
    );

    std::thread::sleep(Duration::from_millis(100));
    let sent = received(smtp);
    assert!(
        sent.len() < CUSTOMERS / 2,
        "{} sent before the stop",
        sent.len()
    );
    let entries = ledger(dir.path());
    assert!(
        entries.values().all(|state| *state == LedgerState::Done),
        "a stop left intents or uncertain e-mails: {entries:?}"
    );
    assert_eq!(entries.len(), sent.len(), "every e-mail sent is confirmed");

    // The next start (here a tick) sends the rest of the wave.
    smtp.state.data_delay_ms.store(0, Ordering::SeqCst);
    assert!(warmup(dir.path()).arg("tick").status().unwrap().success());
    let sent = received(smtp);
    for person in &people {
        assert_eq!(sent.get(person), Some(&1), "{person}");
    }
    let entries = ledger(dir.path());
    assert_eq!(entries.len(), CUSTOMERS);
    assert!(entries.values().all(|state| *state == LedgerState::Done));
}
