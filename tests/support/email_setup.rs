//! Shared set-up of the e-mail tests: a project folder with templates and keys, actions,
//! customers, and a full check of one received message.

use std::sync::Arc;
use std::time::Duration;

use mail_parser::MessageParser;
use minijinja::context;
use serde_json::json;
use warmup::actions::email::EmailTemplates;
use warmup::actions::{unsubscribe_token, EmailAction, EmailTransport, RetryPolicy};
use warmup::project::{EmailConfig, Secret};
use warmup::scenario::model::EmailNode;

pub const SIGNING_KEY: &str = "unsubscribe-signing-key-for-tests";
pub const PASSWORD: &str = "smtp-pass-w0rd";

pub struct Project {
    pub dir: tempfile::TempDir,
    pub config: EmailConfig,
}

/// A project folder with a `welcome` template, key files, and e-mail settings using
/// `transport` (JSON).
pub fn project(transport: serde_json::Value) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let templates = root.join("templates/welcome");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("subject.txt"),
        "Welcome, {{ customer.first_name }}!\n(day {{ day }})\n",
    )
    .unwrap();
    std::fs::write(
        templates.join("body.html"),
        "<p>Hi {{ customer.first_name | e }}</p>\n<a href=\"{{ unsubscribe_url }}\">Unsubscribe</a>\n",
    )
    .unwrap();
    std::fs::write(
        templates.join("body.txt"),
        "Hi {{ customer.first_name }}\n.dot line\nUnsubscribe: {{ unsubscribe_url }}\n",
    )
    .unwrap();
    let broken = root.join("templates/broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("subject.txt"), "Hello").unwrap();
    std::fs::write(broken.join("body.html"), "<p>\n{{ customer.nickname }}</p>").unwrap();
    std::fs::write(broken.join("body.txt"), "x").unwrap();
    std::fs::write(root.join("signing.key"), SIGNING_KEY).unwrap();
    std::fs::write(root.join("smtp.pass"), PASSWORD).unwrap();
    let config: EmailConfig = serde_json::from_value(json!({
        "transport": transport,
        "from": "Brand <news@brand.example>",
        "reply_to": "care@brand.example",
        "templates": "templates",
        "unsubscribe": {
            "base_url": "https://mail.brand.example/",
            "mailto": "unsubscribe@brand.example",
            "signing_key": { "file": "signing.key" },
            "category": "newsletter",
        },
        "headers": { "X-Campaign": "warmup-day-{{ day }}" },
    }))
    .unwrap();
    Project { dir, config }
}

pub fn smtp(port: u16, auth: bool) -> serde_json::Value {
    let mut transport = json!({ "kind": "smtp", "host": "127.0.0.1", "port": port, "tls": "none", "timeout_seconds": 5 });
    if auth {
        transport["username"] = json!("sender");
        transport["password"] = json!({ "file": "smtp.pass" });
    }
    transport
}

pub fn action(project: &Project, template: &str) -> EmailAction {
    let root = project.dir.path();
    let node: EmailNode = serde_json::from_value(json!({ "template": template })).unwrap();
    let transport =
        EmailTransport::from_config(&project.config.transport, project.config.rate_limit, root)
            .unwrap();
    let templates = Arc::new(EmailTemplates::new(root.join("templates")));
    EmailAction::new(
        "mail-d1",
        &node,
        &project.config,
        root,
        templates,
        Arc::new(transport),
    )
    .unwrap()
    .with_retry(RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_elapsed: Duration::from_secs(30),
    })
}

pub fn customer(id: &str, email: &str) -> minijinja::Value {
    context! {
        customer => context! { id => id, email => email, first_name => "Ann & Bob" },
        day => 3,
        params => context! {},
        run => context! { id => "run-1" },
        now => "2026-12-01T09:00:00Z",
    }
}

/// Checks one received message completely; returns its Message-ID.
pub fn check_message(raw: &[u8], customer_id: &str, email: &str) -> String {
    let text = String::from_utf8_lossy(raw);
    assert!(text.contains("multipart/alternative"), "{text}");
    let message = MessageParser::default().parse(raw).expect("message parses");
    assert_eq!(
        message.from().unwrap().first().unwrap().address(),
        Some("news@brand.example")
    );
    assert_eq!(
        message.from().unwrap().first().unwrap().name(),
        Some("Brand")
    );
    assert_eq!(
        message.reply_to().unwrap().first().unwrap().address(),
        Some("care@brand.example")
    );
    assert_eq!(
        message.to().unwrap().first().unwrap().address(),
        Some(email)
    );
    assert_eq!(message.subject(), Some("Welcome, Ann & Bob! (day 3)"));
    assert_eq!(
        message.header_raw("X-Campaign").map(str::trim),
        Some("warmup-day-3")
    );
    assert_eq!(
        message.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    let list = message
        .header_raw("List-Unsubscribe")
        .unwrap()
        .replace(['\r', '\n'], "");
    let list: Vec<&str> = list.split(',').map(str::trim).collect();
    assert_eq!(list.len(), 2, "{list:?}");
    let url = list[0]
        .strip_prefix("<")
        .and_then(|u| u.strip_suffix(">"))
        .unwrap();
    let token = url
        .strip_prefix("https://mail.brand.example/unsubscribe/")
        .unwrap();
    assert_eq!(
        list[1],
        format!("<mailto:unsubscribe@brand.example?subject=unsubscribe-{token}>")
    );
    let claims = unsubscribe_token::verify(&Secret::new(SIGNING_KEY), token).unwrap();
    assert_eq!(
        (claims.customer.as_str(), claims.category.as_str()),
        (customer_id, "newsletter")
    );
    assert!(unsubscribe_token::verify(&Secret::new("other key"), token).is_err());
    let body_text = message.body_text(0).unwrap();
    assert_eq!(
        body_text.replace("\r\n", "\n"),
        format!("Hi Ann & Bob\n.dot line\nUnsubscribe: {url}")
    );
    let html = message.body_html(0).unwrap();
    assert_eq!(
        html.replace("\r\n", "\n"),
        format!("<p>Hi Ann &amp; Bob</p>\n<a href=\"{url}\">Unsubscribe</a>")
    );
    format!("<{}>", message.message_id().unwrap())
}
