//! `warmup tick` without `--capture` sends for real: webhooks to an HTTP server on loopback
//! (with the auth schema's header), e-mails into the outbox folder; a second tick sends
//! nothing again.

use std::path::Path;
use std::process::Command;

use assert_cmd::prelude::*;

mod support;
use support::scripted_http::serve;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn tick_calls_webhooks_and_writes_emails_once() {
    let (port, requests) = serve(&[200]);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("warmup.yaml"),
        r#"
timezone: Europe/Prague
consent_categories: { newsletter: {} }
auth:
  hook:
    secret: { env: WARMUP_TEST_HOOK_KEY }
    headers: { Authorization: "Bearer {{ secret }}" }
email:
  transport: { kind: outbox, dir: outbox }
  from: "Brand <news@brand.example>"
  unsubscribe:
    base_url: https://mail.brand.example
    signing_key: { env: WARMUP_TEST_UNSUBSCRIBE_KEY }
    category: newsletter
import: { consent_category: newsletter }
"#,
    );
    write(
        &root.join("scenarios/once.yaml"),
        &format!(
            r#"
name: once
nodes:
  start: {{ kind: on_date, at: "2026-12-01T00:00", next: hook }}
  hook:
    kind: webhook
    url: "http://127.0.0.1:{port}/moved"
    auth: hook
    body: {{ email: "{{{{ customer.email }}}}" }}
    next: mail
  mail: {{ kind: email, template: welcome }}
"#
        ),
    );
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/welcome");
    for file in ["subject.txt", "body.html", "body.txt"] {
        write(
            &root.join("templates/welcome").join(file),
            &std::fs::read_to_string(templates.join(file)).unwrap(),
        );
    }
    write(
        &root.join("customers.csv"),
        "Email,First Name,Email Marketing Consent\na@gmail.com,Ann,SUBSCRIBED\nb@yahoo.com,Bo,SUBSCRIBED\nc@icloud.com,Cy,SUBSCRIBED\n",
    );
    let warmup = || {
        let mut command = Command::cargo_bin("warmup").unwrap();
        command
            .current_dir(root)
            .env("WARMUP_TEST_HOOK_KEY", "hook-secret")
            .env("WARMUP_TEST_UNSUBSCRIBE_KEY", "signing-secret");
        command
    };
    warmup()
        .args(["import", "customers", "customers.csv"])
        .assert()
        .success();
    warmup()
        .args(["tick", "--now", "2026-11-30T12:00:00Z"])
        .assert()
        .success();
    let output = warmup()
        .args(["tick", "--now", "2026-12-01T00:00:10+01:00"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("3 e-mails"));
    let seen = requests.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen
        .iter()
        .all(|r| r.starts_with("POST /moved") && r.contains("Bearer hook-secret")));
    assert!(seen.iter().any(|r| r.contains("\"email\":\"b@yahoo.com\"")));
    let emails: Vec<String> = std::fs::read_dir(root.join("outbox"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(emails.len(), 3);
    assert!(emails.iter().all(|m| m.contains("List-Unsubscribe")));
    // Nothing is sent twice.
    warmup()
        .args(["tick", "--now", "2026-12-01T00:05:00+01:00"])
        .assert()
        .success();
    assert_eq!(requests.lock().unwrap().len(), 3);
    assert_eq!(std::fs::read_dir(root.join("outbox")).unwrap().count(), 3);
    let status = warmup().arg("status").output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("mail: entered 3, next 3"), "{status}");
    assert!(!status.contains("hook-secret"));
}
