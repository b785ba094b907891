//! `warmup klaviyo-fake` from the command line.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

#[test]
fn serves_a_seeded_account_on_the_port_it_reports() {
    let mut child = Command::cargo_bin("warmup")
        .unwrap()
        .args([
            "klaviyo-fake",
            "--port",
            "0",
            "--seed",
            "3",
            "--profiles",
            "25",
            "--tier",
            "L=5/100",
        ])
        .env("FAKE_KEY_FOR_TEST", "pk_cli0000000000000000000000000000000")
        .args(["--api-key-env", "FAKE_KEY_FOR_TEST"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    assert!(
        banner.starts_with("fake Klaviyo listening on http://127.0.0.1:"),
        "{banner}"
    );
    assert!(banner.contains("(25 profiles,"), "{banner}");
    assert_eq!(second, "accepting the API key from $FAKE_KEY_FOR_TEST");
    assert!(!second.contains("pk_cli"), "the key is never printed");
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (status, limit) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(format!("{url}/api/profiles/"))
            .header(
                "Authorization",
                "Klaviyo-API-Key pk_cli0000000000000000000000000000000",
            )
            .header("revision", "2026-07-15")
            .send()
            .await
            .unwrap();
        let limit = response.headers()["ratelimit-limit"]
            .to_str()
            .unwrap()
            .to_owned();
        (response.status().as_u16(), limit)
    });
    assert_eq!(status, 200);
    assert_eq!(limit, "100", "the --tier override applies");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_malformed_tier_is_invalid_input() {
    let output = Command::cargo_bin("warmup")
        .unwrap()
        .args(["klaviyo-fake", "--tier", "L=lots"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--tier `L=lots`: expected NAME=BURST/STEADY"),
        "{stderr}"
    );
}
