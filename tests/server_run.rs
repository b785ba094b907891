//! `warmup run` serves the HTTP API beside the scheduler on the same store: an unsubscribe
//! POST is recorded, wakes the engine, and the consent-reject flow (`#296` -> `#297`) runs;
//! ingested events are acknowledged by the same process; SIGTERM stops both cleanly.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;
use chrono::Utc;
use serde_json::json;
use warmup::actions::unsubscribe_token;
use warmup::project::Secret;
use warmup::store::{ConsentAction, Store};

const KEY: &str = "run-unsubscribe-key";
const TOKEN: &str = "run-ingest-token";

fn warmup(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command
        .current_dir(dir)
        .env("RUN_KLAVIYO_KEY", "pk_unused")
        .env("RUN_UNSUBSCRIBE_KEY", KEY)
        .env("RUN_INGEST_TOKEN", TOKEN)
        .env_remove("WARMUP_CRASH_AT");
    command
}

/// A project whose only flow is the consent reject; `run --capture` records its webhook
/// instead of calling it (the address is never contacted).
fn project(dir: &Path) {
    std::fs::write(
        dir.join("warmup.yaml"),
        r#"timezone: UTC
store: store
consent_categories:
  newsletter: {}
auth:
  klaviyo:
    secret: { env: RUN_KLAVIYO_KEY }
    headers: { Authorization: "Klaviyo-API-Key {{ secret }}" }
    base_url: http://127.0.0.1:9
    revision: "2026-07-15"
email:
  transport: { kind: outbox, dir: outbox }
  from: "Brand <news@brand.example>"
  unsubscribe:
    base_url: http://127.0.0.1:9
    signing_key: { env: RUN_UNSUBSCRIBE_KEY }
    category: newsletter
server:
  bind: 127.0.0.1:0
  tokens:
    - { env: RUN_INGEST_TOKEN }
"#,
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::write(
        dir.join("scenarios/reject.yaml"),
        r#"name: consent-reject
params: { unsubscribe_list_id: AbC456 }
nodes:
  "296": { kind: on_event, event: consent, where: { action: reject, category: newsletter }, next: "297" }
  "297": { kind: webhook, preset: klaviyo.unsubscribe, auth: klaviyo, with: { list_id: "{{ params.unsubscribe_list_id }}" } }
"#,
    )
    .unwrap();
    std::fs::write(dir.join("customers.csv"), "Email\nada@example.com\n").unwrap();
}

struct Running {
    child: Child,
    base: String,
    /// Drains the rest of stdout (tick lines), so the process never writes to a closed pipe.
    _output: std::thread::JoinHandle<()>,
}

impl Running {
    fn start(dir: &Path) -> Self {
        let mut child = warmup(dir)
            .args(["run", "--capture"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        output.read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let drain = std::thread::spawn(move || {
            let _ = std::io::copy(&mut output, &mut std::io::sink());
        });
        Self {
            child,
            base,
            _output: drain,
        }
    }

    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "warmup run exited with {status}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Captured webhook calls of node `297`, as customer ids.
fn captured_unsubscribes(dir: &Path) -> Vec<u64> {
    let journal =
        std::fs::read_to_string(dir.join("store/captured-actions.jsonl")).unwrap_or_default();
    journal
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|entry| entry["kind"] == "webhook" && entry["node"] == "297")
        .flat_map(|entry| {
            entry["customers"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| c.as_u64())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsubscribe_through_run_fires_the_consent_reject_flow() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    warmup(dir.path())
        .args(["import", "customers", "customers.csv"])
        .assert()
        .success();
    // Make the scenario active before the reject, as `run` would on its first tick.
    let before = Utc::now() - chrono::Duration::seconds(5);
    warmup(dir.path())
        .args(["tick", "--capture", "--now", &before.to_rfc3339()])
        .assert()
        .success();
    let running = Running::start(dir.path());
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    // The same process acknowledges ingest on the store the engine reads.
    let ingest = client
        .post(format!("{}/v1/events", running.base))
        .bearer_auth(TOKEN)
        .json(&json!({"email": "bob@example.com", "type": "signup"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ingest.status(), 200);

    let token = unsubscribe_token::sign(&Secret::new(KEY), "1", "newsletter");
    let confirmed = client
        .post(format!("{}/unsubscribe/{token}", running.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);

    // The engine sleeps up to a minute between ticks; the server's event feed wakes it, so the
    // flow runs well before that.
    let deadline = Instant::now() + Duration::from_secs(45);
    while captured_unsubscribes(dir.path()).is_empty() {
        assert!(Instant::now() < deadline, "#297 was not called");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(captured_unsubscribes(dir.path()), [1]);
    running.stop();

    let store = Store::open(&dir.path().join("store")).unwrap();
    let ada = store.find_by_email("ada@example.com").unwrap().unwrap();
    let consent = store.consent_state(ada.id, "newsletter").unwrap().unwrap();
    assert_eq!(consent.action, ConsentAction::Reject);
    assert!(store.find_by_email("bob@example.com").unwrap().is_some());
}
