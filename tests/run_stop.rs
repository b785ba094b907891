//! SIGTERM during `warmup run` stops a long wave between two e-mails instead of at its end
//! (systemd waits 90 s before it kills): a wave of 2,000 e-mails to a slow loopback SMTP
//! receiver (at least 5 ms a message, 10 s for the wave) is stopped a moment after it began
//! sending; `run` exits 0 within a few seconds with every sent e-mail confirmed and none
//! uncertain, and the next start sends the rest, each customer once. Webhook waves stop the
//! same way, between two calls.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DurationRound, Utc};
use support::email_wave::{import_customers, ledger, received, warmup, write_project};
use support::fake_klaviyo::{FakeKlaviyo, Options};
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

/// An `on_date` trigger due at the start of this minute (`run` has no --now), leading to
/// `next`, and an instant before it to register the scenario at. The project's time zone is
/// set far from local midnight, so the wave is never late past the end of its day.
fn due_now(next: &str) -> (String, String, &'static str) {
    let at = Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap();
    let (zone, offset) = match chrono::Timelike::hour(&at) {
        6..=17 => ("UTC", 0),
        _ => ("Etc/GMT+12", -12),
    };
    let local = at + chrono::Duration::hours(offset);
    let trigger = format!(
        r#"{{ kind: on_date, at: "{}", next: {next} }}"#,
        local.format("%Y-%m-%dT%H:%M")
    );
    (
        trigger,
        (at - chrono::Duration::minutes(2)).to_rfc3339(),
        zone,
    )
}

/// Sets the project's time zone.
fn set_zone(dir: &Path, zone: &str) {
    let project = std::fs::read_to_string(dir.join("warmup.yaml")).unwrap();
    let project = project.replace("timezone: UTC", &format!("timezone: {zone}"));
    std::fs::write(dir.join("warmup.yaml"), project).unwrap();
}

/// Sends SIGTERM to `run` once `started` holds; checks that it stops cleanly and soon.
fn stop_once(mut child: Child, started: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !started() {
        assert!(Instant::now() < deadline, "run does nothing");
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
}

fn stop_and_resume(smtp: &SmtpServer) {
    let dir = tempfile::tempdir().unwrap();
    let (trigger, before, zone) = due_now("mail");
    write_project(dir.path(), smtp.port, &trigger);
    set_zone(dir.path(), zone);
    let people = import_customers(dir.path(), CUSTOMERS);
    assert!(warmup(dir.path())
        .args(["tick", "--now", &before])
        .status()
        .unwrap()
        .success());

    let child = warmup(dir.path())
        .arg("run")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    stop_once(child, || smtp.accepted() >= 50);

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

/// A project whose one wave adds every customer to a Klaviyo list, one call each, at 50
/// calls a second.
fn write_webhook_project(dir: &Path, klaviyo: &str, api_key: &str, trigger: &str) {
    let project = format!(
        r#"timezone: UTC
store: .warmup
scenarios: [scenarios/hooks.yaml]
consent_categories:
  newsletter: {{ description: News by e-mail. }}
auth:
  klaviyo:
    secret: {{ file: klaviyo.key }}
    headers:
      Authorization: "Klaviyo-API-Key {{{{ secret }}}}"
    base_url: {klaviyo}
    revision: "2026-07-15"
    rate_limit: {{ per_second: 50, concurrency: 1 }}
"#
    );
    std::fs::write(dir.join("warmup.yaml"), project).unwrap();
    std::fs::write(dir.join("klaviyo.key"), api_key).unwrap();
    let scenario = format!(
        r#"name: hooks
nodes:
  start: {trigger}
  add: {{ kind: webhook, preset: klaviyo.add_to_list, auth: klaviyo, with: {{ list_id: XyZ123 }} }}
"#
    );
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::write(dir.join("scenarios/hooks.yaml"), scenario).unwrap();
    let mut csv = String::from("Email,Klaviyo ID\n");
    for i in 0..1000 {
        csv.push_str(&format!("person{i:04}@example.com,01KPROFILE{i:016}\n"));
    }
    std::fs::write(dir.join("customers.csv"), csv).unwrap();
    let status = warmup(dir)
        .args(["import", "customers", "customers.csv"])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Profile ids added to the list, with their multiplicity.
fn listed(klaviyo: &FakeKlaviyo) -> HashMap<String, u32> {
    let mut seen = HashMap::new();
    for request in klaviyo.requests() {
        for entry in request.json()["data"].as_array().expect("a JSON:API list") {
            let id = entry["id"].as_str().expect("a profile id").to_owned();
            *seen.entry(id).or_default() += 1;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_long_webhook_wave_between_two_calls() {
    let klaviyo = FakeKlaviyo::start(Options::default()).await;
    let klaviyo = tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let (trigger, before, zone) = due_now("add");
        let key = Options::default().api_key;
        write_webhook_project(dir.path(), &klaviyo.base_url, &key, &trigger);
        set_zone(dir.path(), zone);
        assert!(warmup(dir.path())
            .args(["tick", "--now", &before])
            .status()
            .unwrap()
            .success());
        let child = warmup(dir.path())
            .arg("run")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        stop_once(child, || klaviyo.count() >= 20);
        let calls = klaviyo.count();
        assert!(calls < 500, "{calls} calls before the stop");
        assert!(
            listed(&klaviyo).values().all(|n| *n == 1),
            "a call repeated"
        );
        // The rest at full speed.
        let project = std::fs::read_to_string(dir.path().join("warmup.yaml")).unwrap();
        let project = project.replace("per_second: 50", "per_second: 1000");
        std::fs::write(dir.path().join("warmup.yaml"), project).unwrap();
        assert!(warmup(dir.path()).arg("tick").status().unwrap().success());
        let listed = listed(&klaviyo);
        assert_eq!(listed.len(), 1000, "everyone reached the list");
        assert!(
            listed.values().all(|n| *n == 1),
            "a call repeated after the stop"
        );
        klaviyo
    })
    .await
    .unwrap();
    drop(klaviyo);
}
