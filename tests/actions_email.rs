//! E-mail action against an SMTP receiver on loopback, and the outbox transport.

mod support;

use std::path::Path;
use std::sync::Arc;

use mail_parser::MessageParser;
use serde_json::json;
use support::email_setup::*;
use support::smtp_server::SmtpServer;
use warmup::actions::email::EmailTemplates;
use warmup::actions::{unsubscribe_token, EmailAction, EmailOutcome, EmailTransport};
use warmup::project::Secret;
use warmup::scenario::model::EmailNode;

#[tokio::test]
async fn delivers_both_parts_with_one_click_unsubscribe() {
    let server = SmtpServer::start().await;
    let project = project(smtp(server.port, false));
    let action = action(&project, "{{ 'welcome' }}");
    for i in 0..3 {
        let outcome = action
            .send(
                &format!("c{i}"),
                &customer(&format!("c{i}"), &format!("u{i}@example.com")),
            )
            .await;
        let EmailOutcome::Delivered {
            message_id,
            attempts: 1,
        } = &outcome
        else {
            panic!("{outcome:?}")
        };
        assert!(message_id.ends_with("@brand.example>"), "{message_id}");
        let received = server.messages();
        assert_eq!(received.len(), i + 1);
        let last = &received[i];
        assert_eq!(last.from, "news@brand.example");
        assert_eq!(last.to, [format!("u{i}@example.com")]);
        assert_eq!(
            &check_message(&last.data, &format!("c{i}"), &format!("u{i}@example.com")),
            message_id
        );
    }
}

#[tokio::test]
async fn recipient_rejections_bounce_and_other_5xx_fail() {
    let server = SmtpServer::start().await;
    server.state.reject.lock().unwrap().insert(
        "gone@example.com".into(),
        (550, "5.1.1 No such user".into()),
    );
    server.state.reject.lock().unwrap().insert(
        "policy@example.com".into(),
        (554, "5.7.1 Rejected by policy".into()),
    );
    let project = project(smtp(server.port, false));
    let action = action(&project, "welcome");
    let bounced = action.send("c1", &customer("c1", "gone@example.com")).await;
    assert_eq!(
        bounced,
        EmailOutcome::Bounced {
            code: 550,
            reason: "SMTP 550: permanent error (550): 5.1.1 No such user".into(),
            attempts: 1
        }
    );
    assert_eq!(bounced.campaign_action(), "bounced");
    let failed = action
        .send("c2", &customer("c2", "policy@example.com"))
        .await;
    assert!(
        matches!(
            &failed,
            EmailOutcome::Failed {
                code: Some(554),
                attempts: 1,
                ..
            }
        ),
        "{failed:?}"
    );
    assert_eq!(failed.campaign_action(), "failed");
    assert_eq!(server.accepted(), 0);
    // The server still works for others afterwards.
    assert!(action
        .send("c3", &customer("c3", "ok@example.com"))
        .await
        .is_delivered());
}

#[tokio::test]
async fn transient_replies_are_retried() {
    let server = SmtpServer::start().await;
    server
        .state
        .defer
        .lock()
        .unwrap()
        .insert("later@example.com".into(), 2);
    server
        .state
        .defer
        .lock()
        .unwrap()
        .insert("never@example.com".into(), 100);
    let project = project(smtp(server.port, false));
    let action = action(&project, "welcome");
    let outcome = action
        .send("c1", &customer("c1", "later@example.com"))
        .await;
    assert!(
        matches!(outcome, EmailOutcome::Delivered { attempts: 3, .. }),
        "{outcome:?}"
    );
    let outcome = action
        .send("c2", &customer("c2", "never@example.com"))
        .await;
    let EmailOutcome::Failed {
        code: Some(451),
        attempts: 3,
        reason,
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert!(reason.ends_with("(gave up after 3 attempts)"), "{reason}");
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn authenticates_and_never_shows_the_password() {
    let server = SmtpServer::start().await;
    *server.state.credentials.lock().unwrap() = Some(("sender".into(), PASSWORD.into()));
    let project = project(smtp(server.port, true));
    let outcome = action(&project, "welcome")
        .send("c1", &customer("c1", "a@example.com"))
        .await;
    assert!(outcome.is_delivered(), "{outcome:?}");

    *server.state.credentials.lock().unwrap() = Some(("sender".into(), "another".into()));
    let fresh = action(&project, "welcome");
    let outcome = fresh.send("c1", &customer("c1", "a@example.com")).await;
    assert!(
        matches!(
            &outcome,
            EmailOutcome::Failed {
                code: Some(535),
                ..
            }
        ),
        "{outcome:?}"
    );
    assert!(!format!("{outcome:?} {fresh:?}").contains(PASSWORD));
}

#[tokio::test]
async fn template_errors_name_the_file_and_send_nothing() {
    let server = SmtpServer::start().await;
    let project = project(smtp(server.port, false));
    let missing = action(&project, "nope")
        .send("c1", &customer("c1", "a@example.com"))
        .await;
    let EmailOutcome::Failed {
        code: None,
        attempts: 0,
        reason,
    } = &missing
    else {
        panic!("{missing:?}")
    };
    let file = project.dir.path().join("templates/nope/subject.txt");
    assert!(
        reason.starts_with(&format!(
            "e-mail `mail-d1`: e-mail template `{}`: ",
            file.display()
        )),
        "{reason}"
    );
    let broken = action(&project, "broken")
        .send("c1", &customer("c1", "a@example.com"))
        .await;
    let EmailOutcome::Failed { reason, .. } = &broken else {
        panic!("{broken:?}")
    };
    assert!(reason.contains("templates/broken/body.html"), "{reason}");
    assert!(
        reason.contains("undefined value (in broken/body.html:2)"),
        "{reason}"
    );
    let no_address = action(&project, "welcome")
        .send("c1", &customer("c1", "not an address"))
        .await;
    let EmailOutcome::Failed { reason, .. } = &no_address else {
        panic!("{no_address:?}")
    };
    assert!(
        reason.contains("`customer.email`: `not an address` is not a valid address"),
        "{reason}"
    );
    assert_eq!(
        server
            .state
            .rcpt_commands
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[tokio::test]
async fn unreachable_servers_fail_without_a_code() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let project = project(smtp(port, false));
    let outcome = action(&project, "welcome")
        .send("c1", &customer("c1", "a@example.com"))
        .await;
    assert!(
        matches!(
            &outcome,
            EmailOutcome::Failed {
                code: None,
                attempts: 1,
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn outbox_writes_one_eml_file_per_message() {
    let project = project(json!({ "kind": "outbox", "dir": "outbox" }));
    let action = action(&project, "welcome");
    let mut ids = Vec::new();
    for i in 0..2 {
        let outcome = action
            .send(
                &format!("c{i}"),
                &customer(&format!("c{i}"), &format!("u{i}@example.com")),
            )
            .await;
        let EmailOutcome::Delivered { message_id, .. } = outcome else {
            panic!("{outcome:?}")
        };
        ids.push(message_id);
    }
    let outbox = project.dir.path().join("outbox");
    let mut files: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    for (i, id) in ids.iter().enumerate() {
        let name = format!("{}.eml", id.trim_matches(['<', '>']));
        let path = outbox.join(&name);
        assert!(Path::new(&path).exists(), "{name} missing in {files:?}");
        let raw = std::fs::read(&path).unwrap();
        assert_eq!(
            &check_message(&raw, &format!("c{i}"), &format!("u{i}@example.com")),
            id
        );
    }
}

#[tokio::test]
async fn node_settings_override_the_project_s() {
    let server = SmtpServer::start().await;
    let project = project(smtp(server.port, false));
    let root = project.dir.path();
    let node: EmailNode = serde_json::from_value(json!({
        "template": "welcome",
        "from": "Other <hello@other.example>",
        "category": "promotions",
        "headers": { "X-Run": "{{ run.id }}" },
    }))
    .unwrap();
    let transport = EmailTransport::from_config(&project.config.transport, None, root).unwrap();
    let templates = Arc::new(EmailTemplates::new(root.join("templates")));
    let action = EmailAction::new(
        "n",
        &node,
        &project.config,
        root,
        templates,
        Arc::new(transport),
    )
    .unwrap();
    let prepared = action
        .prepare("c9", &customer("c9", "a@example.com"))
        .unwrap();
    assert!(
        prepared.message_id.ends_with("@other.example>"),
        "{}",
        prepared.message_id
    );
    assert_eq!(prepared.template, "welcome");
    let outcome = action.deliver(&prepared).await;
    assert_eq!(
        outcome,
        EmailOutcome::Delivered {
            message_id: prepared.message_id.clone(),
            attempts: 1
        }
    );
    let raw = &server.messages()[0].data;
    let message = MessageParser::default().parse(raw).unwrap();
    assert_eq!(
        message.from().unwrap().first().unwrap().address(),
        Some("hello@other.example")
    );
    assert_eq!(message.header_raw("X-Run").map(str::trim), Some("run-1"));
    assert_eq!(
        message.header_raw("X-Campaign").map(str::trim),
        Some("warmup-day-3")
    );
    let list = message
        .header_raw("List-Unsubscribe")
        .unwrap()
        .replace(['\r', '\n'], "");
    let token = list
        .split("/unsubscribe/")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    let claims = unsubscribe_token::verify(&Secret::new(SIGNING_KEY), token).unwrap();
    assert_eq!(
        (claims.customer.as_str(), claims.category.as_str()),
        ("c9", "promotions")
    );
}
