//! End to end through real processes and real protocols on loopback: `warmup tick` e-mails a
//! customer through an SMTP server started here; the message's one-click unsubscribe link is
//! followed (RFC 8058 POST) against the HTTP server of `warmup run`; the consent reject
//! fires the `#296` flow, whose `#297` webhook (`klaviyo.unsubscribe`) reaches the fake
//! Klaviyo server, where the profile ends up unsubscribed from the newsletter list.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;
use chrono::{DateTime, Timelike, Utc};
use support::smtp_server::SmtpServer;
use warmup::klaviyo::fake::{Consent, FakeConfig, FakeKlaviyo, DEFAULT_FAKE_KEY, NEWSLETTER_LIST};
use warmup::store::{ConsentAction, Store};

const UNSUBSCRIBE_KEY: &str = "e2e-unsubscribe-key";
const INGEST_TOKEN: &str = "e2e-ingest-token";

fn warmup(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command
        .current_dir(dir)
        .env("E2E_KLAVIYO_KEY", DEFAULT_FAKE_KEY)
        .env("E2E_UNSUBSCRIBE_KEY", UNSUBSCRIBE_KEY)
        .env("E2E_INGEST_TOKEN", INGEST_TOKEN)
        .env_remove("WARMUP_CRASH_AT");
    command
}

/// A free loopback port for `warmup run` (its address must be in the project file, because
/// the e-mails' unsubscribe links point to it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes the project: SMTP to `smtp`, Klaviyo at `klaviyo`, HTTP on `http`, one scenario
/// that e-mails every customer at `at` and unsubscribes rejecters in Klaviyo.
fn write_project(dir: &Path, smtp: u16, klaviyo: &str, http: u16, at: DateTime<Utc>) {
    let project = format!(
        r#"timezone: UTC
store: store
consent_categories:
  newsletter: {{ description: News and offers by e-mail. }}
auth:
  klaviyo:
    secret: {{ env: E2E_KLAVIYO_KEY }}
    headers:
      Authorization: "Klaviyo-API-Key {{{{ secret }}}}"
    base_url: {klaviyo}
    revision: "2026-07-15"
email:
  transport: {{ kind: smtp, host: 127.0.0.1, port: {smtp}, tls: none }}
  from: "Brand <news@brand.example>"
  unsubscribe:
    base_url: http://127.0.0.1:{http}
    mailto: unsubscribe@brand.example
    signing_key: {{ env: E2E_UNSUBSCRIBE_KEY }}
    category: newsletter
server:
  bind: 127.0.0.1:{http}
  tokens:
    - {{ env: E2E_INGEST_TOKEN }}
"#
    );
    std::fs::write(dir.join("warmup.yaml"), project).unwrap();
    let scenario = format!(
        r#"name: e2e-unsubscribe
params: {{ unsubscribe_list_id: {NEWSLETTER_LIST} }}
nodes:
  "229": {{ kind: on_date, at: "{}", next: mail }}
  mail: {{ kind: email, template: hello }}
  "296": {{ kind: on_event, event: consent, where: {{ action: reject, category: newsletter }}, next: "297" }}
  "297": {{ kind: webhook, preset: klaviyo.unsubscribe, auth: klaviyo, with: {{ list_id: "{{{{ params.unsubscribe_list_id }}}}" }} }}
"#,
        at.format("%Y-%m-%dT%H:%M")
    );
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::write(dir.join("scenarios/e2e.yaml"), scenario).unwrap();
    let templates = dir.join("templates/hello");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("subject.txt"), "Hello from Brand").unwrap();
    std::fs::write(
        templates.join("body.txt"),
        "Hi,\n\nnews from Brand.\n\nUnsubscribe: {{ unsubscribe_url }}\n",
    )
    .unwrap();
    std::fs::write(
        templates.join("body.html"),
        "<p>Hi,</p><p>news from Brand.</p><p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>",
    )
    .unwrap();
}

/// `warmup run`, stopped with SIGTERM when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// The https link of `List-Unsubscribe`, checked to come with the RFC 8058 header.
fn unsubscribe_link(raw: &[u8]) -> String {
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("the message parses");
    let post = message
        .header_raw("List-Unsubscribe-Post")
        .expect("List-Unsubscribe-Post header");
    assert_eq!(post.trim(), "List-Unsubscribe=One-Click");
    let header = message
        .header_raw("List-Unsubscribe")
        .expect("List-Unsubscribe header");
    header
        .split(',')
        .map(|part| part.trim().trim_start_matches('<').trim_end_matches('>'))
        .find(|link| link.starts_with("http"))
        .unwrap_or_else(|| panic!("no http link in {header:?}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsubscribe_link_unsubscribes_the_profile_in_klaviyo() {
    let klaviyo = FakeKlaviyo::start(FakeConfig::with_profiles(20))
        .await
        .unwrap();
    // A profile subscribed to the newsletter list, which #297 unsubscribes it from.
    let (profile_id, email) = {
        let state = klaviyo.state();
        let members = state.list_members(NEWSLETTER_LIST);
        let profile = state
            .profiles()
            .iter()
            .find(|p| {
                p.email.is_some()
                    && p.email_marketing.consent == Consent::Subscribed
                    && members.contains(&p.id)
            })
            .expect("a subscribed newsletter member");
        (profile.id.clone(), profile.email.clone().unwrap())
    };
    let smtp = SmtpServer::start().await;
    let http = free_port();
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now()
        .with_second(0)
        .unwrap()
        .with_nanosecond(0)
        .unwrap();
    let at = now + chrono::Duration::minutes(2);
    write_project(dir.path(), smtp.port, &klaviyo.base_url(), http, at);
    std::fs::write(
        dir.path().join("customers.csv"),
        format!("Email,Klaviyo ID\n{email},{profile_id}\n"),
    )
    .unwrap();
    warmup(dir.path())
        .args(["import", "customers", "customers.csv"])
        .assert()
        .success();

    // The first tick makes the scenario active, the second is past the send time.
    for tick in [now, at + chrono::Duration::seconds(30)] {
        warmup(dir.path())
            .args(["tick", "--now", &tick.to_rfc3339()])
            .assert()
            .success();
    }
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "one e-mail through SMTP");
    assert_eq!(messages[0].to.as_slice(), std::slice::from_ref(&email));
    let link = unsubscribe_link(&messages[0].data);
    assert!(
        link.starts_with(&format!("http://127.0.0.1:{http}/unsubscribe/")),
        "{link}"
    );

    let mut child = warmup(dir.path())
        .arg("run")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), format!("listening on http://127.0.0.1:{http}"));
    // Keep reading, so the tick lines `run` prints never meet a closed pipe.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut output, &mut std::io::sink());
    });
    let run = Running(child);

    let client = reqwest::Client::new();
    let page = client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    let confirmed = client
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);

    // The engine runs #296 -> #297 as soon as the server records the reject.
    let deadline = Instant::now() + Duration::from_secs(60);
    while klaviyo
        .state()
        .list_members(NEWSLETTER_LIST)
        .contains(&profile_id)
    {
        assert!(
            Instant::now() < deadline,
            "the profile is still on the newsletter list; requests: {:?}",
            klaviyo.state().request_counts()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    {
        // Klaviyo's record of it: a list suppression and an "Unsubscribed from List" event.
        let state = klaviyo.state();
        let profile = state.profile(&profile_id).unwrap();
        let suppressions = &profile.email_marketing.list_suppressions;
        assert!(
            suppressions.iter().any(|s| s.reason == "UNSUBSCRIBE"
                && s.list_id.as_deref() == Some(NEWSLETTER_LIST)),
            "{suppressions:?}"
        );
        assert!(state
            .event_names_of(&profile_id)
            .iter()
            .any(|name| name == "Unsubscribed from List"));
    }
    assert_eq!(
        klaviyo
            .state()
            .request_count("POST /api/profile-subscription-bulk-delete-jobs"),
        1
    );
    drop(run);

    let store = Store::open(&dir.path().join("store")).unwrap();
    let customer = store.find_by_email(&email).unwrap().unwrap();
    let consent = store
        .consent_state(customer.id, "newsletter")
        .unwrap()
        .unwrap();
    assert_eq!(consent.action, ConsentAction::Reject);
}
