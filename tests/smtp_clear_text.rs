//! `tls: none` with SMTP credentials would send the password in clear: `validate` (and so
//! every command that runs scenarios) refuses it unless the relay is on this machine.

use assert_cmd::Command;
use predicates::prelude::*;

fn project(host: &str, credentials: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let auth = if credentials {
        ", username: sender, password: { env: SMTP_PASSWORD }"
    } else {
        ""
    };
    std::fs::write(
        dir.path().join("warmup.yaml"),
        format!(
            "timezone: UTC\nconsent_categories: {{ newsletter: {{}} }}\nemail:\n  transport: {{ kind: smtp, host: \"{host}\", tls: none{auth} }}\n  from: news@brand.example\n  unsubscribe:\n    base_url: https://mail.brand.example\n    signing_key: {{ env: WARMUP_UNSUBSCRIBE_KEY }}\n    category: newsletter\n"
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    dir
}

fn validate(dir: &tempfile::TempDir) -> assert_cmd::assert::Assert {
    Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(dir.path())
        .env_remove("WARMUP_PROJECT")
        .arg("validate")
        .assert()
}

#[test]
fn a_password_in_clear_to_a_remote_server_is_refused() {
    let dir = project("smtp.brand.example", true);
    validate(&dir)
        .code(2)
        .stdout(predicate::str::contains(
            "`tls: none` would send the SMTP password in clear to `smtp.brand.example`",
        ))
        .stdout(predicate::str::contains("warmup.yaml:4:"))
        .stdout(predicate::str::contains("W0004"));
}

#[test]
fn a_loopback_relay_or_no_credentials_is_fine() {
    for (host, credentials) in [
        ("127.0.0.1", true),
        ("localhost", true),
        ("::1", true),
        ("smtp.brand.example", false),
    ] {
        let dir = project(host, credentials);
        validate(&dir).code(0);
    }
}
