//! `warmup uncertain list|dismiss|resend` through the binary: three ticks aborted right after
//! flushing the intent of their first e-mail leave three customers' e-mails uncertain (never
//! sent); an operator lists them, dismisses one, resends one the server refuses (exit 1, the
//! e-mail is failed) and resends the last, which goes out once and is recorded in the ledger
//! and the customer's events; nothing is resent twice.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Output, Stdio};

use support::email_wave::{import_customers, ledger, received, warmup, write_project};
use support::smtp_server::SmtpServer;
use warmup::engine::state::LedgerState;

const TRIGGER: &str =
    r#"{ kind: repeat, at: "09:00", start: "2026-12-01", end: "2026-12-01", next: mail }"#;
const SEND_AT: &str = "2026-12-01T09:00:10Z";

fn output(dir: &Path, args: &[&str]) -> Output {
    warmup(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A tick that aborts right after the intent of its first e-mail reached the disk.
fn tick_aborting_before_the_first_send(dir: &Path) {
    let status = warmup(dir)
        .args(["tick", "--now", SEND_AT])
        .env("WARMUP_CRASH_AT", "email-intents-flushed:1")
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(6), "the tick did not abort");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_list_dismiss_and_resend_uncertain_emails_once() {
    let smtp = SmtpServer::start().await;
    let smtp = tokio::task::spawn_blocking(move || {
        settle_uncertain(&smtp);
        smtp
    })
    .await
    .unwrap();
    drop(smtp);
}

fn settle_uncertain(smtp: &SmtpServer) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    write_project(dir, smtp.port, TRIGGER);
    let people = import_customers(dir, 5);
    assert!(warmup(dir)
        .args(["tick", "--now", "2026-11-30T12:00:00Z"])
        .status()
        .unwrap()
        .success());
    tick_aborting_before_the_first_send(dir);
    let listed = stdout(&output(dir, &["uncertain", "list"]));
    assert!(listed.starts_with("1 uncertain e-mail(s)"), "{listed}");
    assert!(
        listed.contains("run 1 wave node mail customer 1 person0000@example.com (interrupted)"),
        "{listed}"
    );
    tick_aborting_before_the_first_send(dir);
    tick_aborting_before_the_first_send(dir);
    let status = warmup(dir)
        .args(["tick", "--now", SEND_AT])
        .status()
        .unwrap();
    // The uncertain e-mails are failed steps of this tick: exit 3.
    assert_eq!(status.code(), Some(3));
    let got = received(smtp);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(people[..3].iter().all(|p| !got.contains_key(p)));

    let json = stdout(&output(dir, &["uncertain", "list", "--json"]));
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([
            { "run": 1, "scenario": "wave", "node": "mail", "customer": 1,
              "email": people[0], "state": "uncertain" },
            { "run": 1, "scenario": "wave", "node": "mail", "customer": 2,
              "email": people[1], "state": "uncertain" },
            { "run": 1, "scenario": "wave", "node": "mail", "customer": 3,
              "email": people[2], "state": "uncertain" },
        ])
    );

    let dismissed = stdout(&output(dir, &["uncertain", "dismiss", "1", &people[0]]));
    assert_eq!(dismissed, "dismissed 1 uncertain e-mail(s)\n");
    smtp.state
        .reject
        .lock()
        .unwrap()
        .insert(people[2].clone(), (550, "5.1.1 No such user".into()));
    let refused = output(dir, &["uncertain", "resend", "1", "#3"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains(&format!(
        "run 1 node mail customer 3 {}: bounced: 550",
        people[2]
    )));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("1 of 1 resent e-mail(s) failed"));
    let resent = stdout(&output(dir, &["uncertain", "resend", "--all"]));
    assert_eq!(
        resent,
        format!(
            "run 1 node mail customer 2 {}: sent\nresent 1 uncertain e-mail(s), 0 failed\n",
            people[1]
        )
    );
    let got = received(smtp);
    assert_eq!(got.get(&people[1]), Some(&1));
    assert!(!got.contains_key(&people[0]));

    // Nothing is left to resend, and nothing is sent twice.
    let again = stdout(&output(dir, &["uncertain", "resend", "--all"]));
    assert_eq!(again, "resent 0 uncertain e-mail(s), 0 failed\n");
    let named = output(dir, &["uncertain", "resend", "1", &people[1]]);
    assert_eq!(named.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&named.stderr).contains(&format!(
        "no uncertain e-mail of run 1 customer `{}`",
        people[1]
    )));
    let none = output(dir, &["uncertain", "dismiss"]);
    assert_eq!(none.status.code(), Some(2), "a selection is required");
    let listed = stdout(&output(dir, &["uncertain", "list"]));
    assert!(listed.starts_with("0 uncertain e-mail(s)"), "{listed}");
    let status = stdout(&output(dir, &["status"]));
    assert!(
        status.contains(
            "e-mails left uncertain by a crash (not resent): 0; awaiting confirmation: 0"
        ),
        "{status}"
    );
    let customer = stdout(&output(dir, &["customers", "show", &people[1]]));
    assert!(
        customer.contains(r#""action":"delivered""#) && customer.contains(r#""resent":true"#),
        "{customer}"
    );
    assert!(warmup(dir)
        .args(["tick", "--now", "2026-12-02T09:00:10Z"])
        .status()
        .unwrap()
        .success());
    assert_eq!(received(smtp).len(), 3, "a later tick sent something");

    let entries = ledger(dir);
    assert_eq!(entries[&people[0]], LedgerState::Dismissed);
    assert_eq!(entries[&people[1]], LedgerState::Done);
    assert_eq!(entries[&people[2]], LedgerState::Failed);
    assert!(people[3..].iter().all(|p| entries[p] == LedgerState::Done));
}
