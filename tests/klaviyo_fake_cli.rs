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

/// `warmup klaviyo-fake ARGS` from the repository's root; (exit code, stderr).
fn fake_fails(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("klaviyo-fake")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_seed_files_are_invalid_input_with_file_line_column_and_field() {
    let mut report = String::new();
    let mut names: Vec<String> = std::fs::read_dir("tests/fixtures/klaviyo/bad")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let path = format!("tests/fixtures/klaviyo/bad/{name}");
        let (code, stderr) = fake_fails(&["--seed-file", &path]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        report += &stderr;
    }
    insta::assert_snapshot!("bad_seed_files", report);
}

#[test]
fn seed_file_options_are_checked_before_serving() {
    let (code, stderr) = fake_fails(&[
        "--seed-file",
        "tests/fixtures/klaviyo/account.yaml",
        "--profiles",
        "5",
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--profiles"), "{stderr}");
    let (code, stderr) = fake_fails(&["--seed-file", "no/such/account.yaml"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("no/such/account.yaml: cannot read"),
        "{stderr}"
    );
    let (code, stderr) = fake_fails(&["--dump-state", "account.txt"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--dump-state: account.txt: a seed file ends in .json, .yaml or .yml"),
        "{stderr}"
    );
}

/// Starts the fake with `args`; returns the child and its base URL.
fn serve(
    args: &[&str],
) -> (
    std::process::Child,
    String,
    std::io::Lines<BufReader<std::process::ChildStdout>>,
) {
    let mut child = Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("klaviyo-fake")
        .args(args)
        .env_remove("KLAVIYO_API_KEY")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("{banner}"))
        .to_owned();
    (child, url, lines)
}

fn profile_count(url: &str) -> usize {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let body: serde_json::Value = reqwest::Client::new()
            .get(format!("{url}/api/profiles/?page[size]=100"))
            .header(
                "Authorization",
                "Klaviyo-API-Key pk_fake0000000000000000000000000000000",
            )
            .header("revision", "2026-07-15")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["data"].as_array().unwrap().len()
    })
}

#[test]
fn a_generated_account_saved_on_sigterm_serves_again_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("account.json");
    let saved = saved.to_str().unwrap();
    let (mut child, url, mut lines) =
        serve(&["--seed", "4", "--profiles", "30", "--dump-state", saved]);
    assert_eq!(profile_count(&url), 30);
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(child.wait().unwrap().success());
    let rest: Vec<String> = lines.by_ref().map(Result::unwrap).collect();
    assert!(
        rest.iter()
            .any(|l| l.starts_with(&format!("account written to {saved} (30 profiles, "))),
        "{rest:?}"
    );
    let (mut again, url, _) = serve(&["--seed-file", saved]);
    assert_eq!(profile_count(&url), 30);
    again.kill().unwrap();
    again.wait().unwrap();
}
