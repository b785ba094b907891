//! A consent accept dated in the future must not outrank the unsubscribes received after it:
//! through the HTTP ingest and the one-click page, and through `warmup import events` and the
//! next e-mail a tick would send.

mod server_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::json;
use server_support::{json, TestServer, SIGNING_KEY};
use warmup::actions::unsubscribe_token;
use warmup::project::Secret;
use warmup::store::{ConsentAction, CustomerId};

fn in_days(days: i64) -> String {
    (Utc::now() + Duration::days(days)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn in_hours(hours: i64) -> String {
    (Utc::now() + Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn consent(action: &str, timestamp: &str) -> serde_json::Value {
    json!({"email": "ada@example.com", "type": "consent", "timestamp": timestamp,
           "properties": {"action": action, "category": "newsletter"}})
}

async fn state_of(server: &TestServer) -> ConsentAction {
    server
        .store()
        .consent_state(CustomerId(1), "newsletter")
        .unwrap()
        .unwrap()
        .action
}

#[tokio::test]
async fn the_one_click_unsubscribe_wins_over_an_accept_dated_next_year() {
    let server = TestServer::start().await;
    let body = json!({"events": [consent("accept", &in_days(365))]});
    let (status, ack) = json(server.post_json("/v1/events", &body).await).await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(state_of(&server).await, ConsentAction::Accept);
    let token = unsubscribe_token::sign(&Secret::new(SIGNING_KEY), "1", "newsletter");
    let response = server
        .client
        .post(server.url(&format!("/unsubscribe/{token}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("You will no longer receive"), "{page}");
    assert_eq!(
        state_of(&server).await,
        ConsentAction::Reject,
        "the page said so"
    );
}

#[tokio::test]
async fn an_ingested_unsubscribe_wins_over_an_earlier_received_future_accept() {
    let server = TestServer::start().await;
    for event in [
        consent("accept", &in_days(30)),
        consent("reject", &in_days(0)),
    ] {
        let body = json!({ "events": [event] });
        let (status, ack) = json(server.post_json("/v1/events", &body).await).await;
        assert_eq!(status, 200, "{ack}");
    }
    assert_eq!(state_of(&server).await, ConsentAction::Reject);
    // A later re-subscription, dated now (timestamps have whole seconds), still counts.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let body = json!({"events": [consent("accept", &in_days(0))]});
    let (status, _) = json(server.post_json("/v1/events", &body).await).await;
    assert_eq!(status, 200);
    assert_eq!(state_of(&server).await, ConsentAction::Accept);
}

const SCENARIO: &str = r#"name: next-day
nodes:
  "229": { kind: on_date, at: "2027-01-05T09:00", next: "7" }
  "7": { kind: condition, if: { consent: newsletter }, yes: mail }
  mail: { kind: email, template: day-1 }
"#;

fn run(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_warmup"))
        .current_dir(dir)
        .args(args)
        .env_remove("WARMUP_CRASH_AT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "warmup {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
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

#[test]
fn an_imported_unsubscribe_stops_the_next_days_email_despite_a_future_accept() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let project = std::fs::read_to_string(repo.join("warmup.yaml"))
        .unwrap()
        .replace("scenarios/plan-driven.yaml", "scenarios/next-day.yaml");
    std::fs::write(root.join("warmup.yaml"), project).unwrap();
    std::fs::create_dir_all(root.join("scenarios")).unwrap();
    std::fs::write(root.join("scenarios/next-day.yaml"), SCENARIO).unwrap();
    copy_dir(&repo.join("templates"), &root.join("templates"));
    std::fs::write(root.join("c.csv"), "Email\nada@example.com\n").unwrap();
    run(root, &["import", "customers", "c.csv"]);
    std::fs::write(
        root.join("accept.jsonl"),
        // Imports refuse timestamps more than a day ahead; half a day ahead is still a
        // decision dated after the unsubscribe that follows.
        format!("{}\n", consent("accept", &in_hours(12))),
    )
    .unwrap();
    run(root, &["import", "events", "accept.jsonl"]);
    std::fs::write(
        root.join("reject.jsonl"),
        format!("{}\n", consent("reject", &in_days(0))),
    )
    .unwrap();
    run(root, &["import", "events", "reject.jsonl"]);
    let shown = run(root, &["customers", "show", "ada@example.com"]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("reject"), "{shown}");
    run(
        root,
        &["tick", "--capture", "--now", "2027-01-01T12:00:00+01:00"],
    );
    run(
        root,
        &["tick", "--capture", "--now", "2027-01-05T09:00:10+01:00"],
    );
    let captured =
        std::fs::read_to_string(root.join(".warmup/captured-actions.jsonl")).unwrap_or_default();
    assert!(
        !captured.contains(r#""kind":"email""#),
        "the unsubscribed customer was mailed: {captured}"
    );
}
