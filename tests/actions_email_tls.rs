//! The SMTP transport over TLS, through `warmup tick`, against loopback receivers with a
//! certificate from a private CA made here: implicit TLS and STARTTLS deliver (credentials
//! only inside TLS) when `ca_file` trusts the CA; without it the certificate is refused and
//! the e-mail fails; `starttls` never falls back to plain text; a bad `ca_file` stops the
//! project from loading.

mod support;

use std::path::Path;

use serde_json::json;
use support::email_setup::{check_message, PASSWORD};
use support::email_tick::{
    printed, show_customer, tick_project, tick_through_send, warmup, ACTIVATE_AT,
};
use support::smtp_server::{AuthAttempt, Security, SmtpServer};
use support::tls::TestPki;

const EMAILS: [&str; 2] = ["ann@example.com", "bob@example.net"];

/// An authenticating SMTP transport to `port`; `ca_file` relative to the project.
fn transport(port: u16, tls: &str, ca_file: Option<&str>) -> serde_json::Value {
    let mut transport = json!({
        "kind": "smtp", "host": "127.0.0.1", "port": port, "tls": tls,
        "username": "sender", "password": { "file": "smtp.pass" }, "timeout_seconds": 5,
    });
    if let Some(path) = ca_file {
        transport["ca_file"] = json!(path);
    }
    transport
}

async fn server(security: Security) -> SmtpServer {
    let server = SmtpServer::start_with(security).await;
    *server.state.credentials.lock().unwrap() = Some(("sender".into(), PASSWORD.into()));
    server
}

fn write_ca(root: &Path, pki: &TestPki) {
    std::fs::create_dir_all(root.join("certs")).unwrap();
    std::fs::write(root.join("certs/ca.pem"), &pki.ca_pem).unwrap();
}

/// Sends the day's e-mail to [`EMAILS`] through `server` and checks what arrived: every
/// message complete and over TLS, the right credentials given only over TLS.
fn delivers_over_tls(server: &SmtpServer, pki: &TestPki, tls: &str) {
    let project = tick_project(transport(server.port, tls, Some("certs/ca.pem")), &EMAILS);
    let root = project.dir.path();
    write_ca(root, pki);
    let output = tick_through_send(root);
    assert!(output.status.success(), "{}", printed(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(" 2 e-mails"),
        "{}",
        printed(&output)
    );
    let messages = server.messages();
    assert_eq!(messages.len(), 2, "{messages:?}");
    for (id, email) in EMAILS.iter().enumerate() {
        let received = messages
            .iter()
            .find(|m| m.to == [email.to_string()])
            .unwrap_or_else(|| panic!("nothing for {email}"));
        assert!(received.tls, "{email}'s message came in plain text");
        assert_eq!(received.from, "news@brand.example");
        check_message(&received.data, &(id + 1).to_string(), email);
        assert!(show_customer(root, email).contains(r#""action":"delivered""#));
    }
    let attempts = server.auth_attempts();
    assert!(!attempts.is_empty(), "the client did not authenticate");
    let expected = AuthAttempt {
        user: "sender".into(),
        password: PASSWORD.into(),
        tls: true,
    };
    assert!(attempts.iter().all(|a| a == &expected), "{attempts:?}");
    let status = warmup(root).arg("status").output().unwrap();
    assert!(!printed(&output).contains(PASSWORD) && !printed(&status).contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_delivers_with_a_private_ca() {
    let pki = TestPki::new("warmup implicit test CA");
    let server = server(Security::Implicit(pki.acceptor.clone())).await;
    delivers_over_tls(&server, &pki, "implicit");
    let commands = server.commands();
    assert!(commands.iter().all(|(_, tls)| *tls), "{commands:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_upgrades_before_authenticating() {
    let pki = TestPki::new("warmup starttls test CA");
    let server = server(Security::StartTls(pki.acceptor.clone())).await;
    delivers_over_tls(&server, &pki, "starttls");
    // In plain text only the greeting exchange and the upgrade, although the server offers
    // AUTH there too.
    let commands = server.commands();
    let plain: Vec<&str> = commands
        .iter()
        .filter(|(_, tls)| !tls)
        .map(|(verb, _)| verb.as_str())
        .collect();
    assert!(plain.contains(&"STARTTLS"), "{commands:?}");
    assert!(
        plain.iter().all(|verb| ["EHLO", "STARTTLS"].contains(verb)),
        "{commands:?}"
    );
    for verb in ["AUTH", "MAIL", "RCPT", "DATA"] {
        assert!(
            commands.iter().any(|(v, tls)| v == verb && *tls),
            "no {verb} over TLS: {commands:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_ca_fails_the_email_without_showing_the_password() {
    for tls in ["implicit", "starttls"] {
        let pki = TestPki::new("warmup untrusted test CA");
        let security = match tls {
            "implicit" => Security::Implicit(pki.acceptor.clone()),
            _ => Security::StartTls(pki.acceptor.clone()),
        };
        let server = server(security).await;
        let project = tick_project(transport(server.port, tls, None), &EMAILS[..1]);
        let root = project.dir.path();
        let output = tick_through_send(root);
        // Exit 3: the tick ran, and a step (the e-mail) failed.
        assert_eq!(output.status.code(), Some(3), "{}", printed(&output));
        assert!(
            String::from_utf8_lossy(&output.stdout).contains(" 0 e-mails"),
            "{tls}: {}",
            printed(&output)
        );
        assert_eq!(server.accepted(), 0, "{tls}");
        assert!(server.auth_attempts().is_empty(), "{tls}: credentials sent");
        assert!(
            server
                .state
                .failed_handshakes
                .load(std::sync::atomic::Ordering::SeqCst)
                > 0,
            "{tls}: no handshake was refused"
        );
        // The failure is the e-mail's: a `failed` campaign event with the reason, and the
        // customer leaves through `on_failure`.
        let shown = show_customer(root, EMAILS[0]);
        assert!(shown.contains(r#""action":"failed""#), "{tls}: {shown}");
        let reason = concat!(
            r#""reason":"SMTP: Connection error: invalid peer certificate: UnknownIssuer"#,
            " (the server's certificate is not signed by a trusted root; a private CA's",
            r#" certificate goes in `email.transport.ca_file`)""#
        );
        assert!(shown.contains(reason), "{tls}: {shown}");
        assert!(shown.contains("email_failed_on: "), "{tls}: {shown}");
        let status = warmup(root).arg("status").output().unwrap();
        for text in [printed(&output), shown, printed(&status)] {
            assert!(!text.contains(PASSWORD), "{tls}: password shown in {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_is_required_not_optional() {
    // A server that does not offer STARTTLS (but would take AUTH and mail in plain text).
    let server = server(Security::Plain).await;
    let pki = TestPki::new("warmup test CA");
    let project = tick_project(
        transport(server.port, "starttls", Some("certs/ca.pem")),
        &EMAILS[..1],
    );
    let root = project.dir.path();
    write_ca(root, &pki);
    let output = tick_through_send(root);
    assert_eq!(output.status.code(), Some(3), "{}", printed(&output));
    let shown = show_customer(root, EMAILS[0]);
    assert!(shown.contains(r#""action":"failed""#), "{shown}");
    assert!(
        shown.contains(
            r#""reason":"SMTP: internal client error: STARTTLS is not supported on this server""#
        ),
        "{shown}"
    );
    assert_eq!(server.accepted(), 0);
    assert!(
        server.auth_attempts().is_empty(),
        "credentials in plain text"
    );
    let commands = server.commands();
    assert!(
        commands
            .iter()
            .all(|(verb, _)| ["EHLO", "QUIT"].contains(&verb.as_str())),
        "{commands:?}"
    );
    assert!(!printed(&output).contains(PASSWORD) && !shown.contains(PASSWORD));
}

#[test]
fn a_bad_ca_file_stops_the_project_before_anything_is_sent() {
    // Nothing may connect here: the project must not get as far as sending.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let cases = [
        (None, "W0038", "cannot read `./certs/ca.pem`: No such file"),
        (
            Some("not a certificate\n".to_owned()),
            "W0004",
            "`./certs/ca.pem` holds no PEM certificate",
        ),
        (
            Some(key),
            "W0004",
            "`./certs/ca.pem` holds no PEM certificate",
        ),
        (
            Some("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".to_owned()),
            "W0004",
            "`./certs/ca.pem` is not a valid PEM file",
        ),
        (
            Some("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned()),
            "W0004",
            "`./certs/ca.pem`: certificate 1 cannot be used as a root",
        ),
    ];
    for (content, code, message) in cases {
        let project = tick_project(
            transport(port, "implicit", Some("certs/ca.pem")),
            &EMAILS[..1],
        );
        let root = project.dir.path();
        if let Some(content) = &content {
            std::fs::create_dir_all(root.join("certs")).unwrap();
            std::fs::write(root.join("certs/ca.pem"), content).unwrap();
        }
        let yaml = std::fs::read_to_string(root.join("warmup.yaml")).unwrap();
        let (line, text) = yaml
            .lines()
            .enumerate()
            .find(|(_, text)| text.trim_start().starts_with("ca_file:"))
            .unwrap();
        let column = text.find("certs/").unwrap() + 1;
        let at = format!("warmup.yaml:{}:{column}]", line + 1);
        for command in [&["validate"][..], &["tick", "--now", ACTIVATE_AT]] {
            let output = warmup(root).args(command).output().unwrap();
            let shown = printed(&output);
            assert_eq!(output.status.code(), Some(2), "{command:?}: {shown}");
            for expected in [code, &at, &format!("`ca_file`: {message}")] {
                assert!(
                    shown.contains(expected),
                    "{command:?}: no {expected:?} in {shown}"
                );
            }
        }
        // The transport refuses the file too, naming the field, should it be built directly.
        let error =
            warmup::actions::EmailTransport::from_config(&project.config.transport, None, root)
                .unwrap_err()
                .to_string();
        assert!(error.starts_with("e-mail `transport.ca_file`: "), "{error}");
        assert!(error.contains("certs/ca.pem"), "{error}");
    }
    assert!(listener.accept().is_err(), "something connected");
}
