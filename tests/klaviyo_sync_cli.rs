//! `warmup sync klaviyo` as a user runs it: a project pointing at the fake Klaviyo, the
//! customer store on disk, a summary on stdout.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use warmup::klaviyo::fake::{FakeConfig, FakeKlaviyo, RateLimits, DEFAULT_FAKE_KEY};

fn project(dir: &Path, base_url: &str) {
    let text = format!(
        "timezone: Europe/Prague\nconsent_categories:\n  newsletter: {{}}\nklaviyo:\n  api_key: {{ env: TEST_KLAVIYO_KEY }}\n  base_url: {base_url}\n  properties:\n    first_name: first_name\n    phone_number: klaviyo_phone\n  lists:\n    Y6nRLr: newsletter\n"
    );
    std::fs::write(dir.join("warmup.yaml"), text).unwrap();
}

fn warmup(dir: &Path, key: &str, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(dir)
        .env("TEST_KLAVIYO_KEY", key)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn sync_fills_the_store_and_a_rerun_adds_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(250)
    };
    let fake = runtime.block_on(FakeKlaviyo::start(config)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &fake.base_url());
    let (code, stdout, stderr) = warmup(dir.path(), DEFAULT_FAKE_KEY, &["sync", "klaviyo"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Klaviyo sync (initial)"), "{stdout}");
    assert!(
        stdout.contains("profiles: 250 created, 0 updated"),
        "{stdout}"
    );
    let (_, count, _) = warmup(dir.path(), DEFAULT_FAKE_KEY, &["customers", "count"]);
    assert_eq!(count.trim(), "250");
    let (code, again, _) = warmup(dir.path(), DEFAULT_FAKE_KEY, &["sync", "klaviyo"]);
    assert_eq!(code, 0);
    assert!(again.contains("Klaviyo sync (incremental)"), "{again}");
    assert!(again.contains("events added: 0 "), "{again}");
}

#[test]
fn a_wrong_key_fails_clearly_and_leaves_the_store_empty() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime
        .block_on(FakeKlaviyo::start(FakeConfig::with_profiles(20)))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &fake.base_url());
    let secret = "pk_notTheRightKey00000000000000000000";
    let (code, stdout, stderr) = warmup(dir.path(), secret, &["sync", "klaviyo"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("Klaviyo authentication failed"), "{stderr}");
    assert!(!stderr.contains(secret) && !stdout.contains(secret));
    let (_, count, _) = warmup(dir.path(), secret, &["customers", "count"]);
    assert_eq!(count.trim(), "0");
}

#[test]
fn a_missing_key_variable_is_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "http://127.0.0.1:9");
    let output = Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(dir.path())
        .env_remove("TEST_KLAVIYO_KEY")
        .args(["sync", "klaviyo"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("klaviyo.api_key: environment variable `TEST_KLAVIYO_KEY` is not set"),
        "{stderr}"
    );
}

/// `customers show` of one customer.
fn show(dir: &Path, id: &str) -> String {
    let (code, stdout, stderr) = warmup(dir, DEFAULT_FAKE_KEY, &["customers", "show", id]);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

#[test]
fn a_seeded_account_syncs_with_its_consent() {
    // The example account, its campaign a few days ago so the initial 30-day window holds it.
    let recent = (chrono::Utc::now() - chrono::Duration::days(3)).format("%Y-%m-%d");
    let text = std::fs::read_to_string("tests/fixtures/klaviyo/account.yaml")
        .unwrap()
        .replace("2025-04-15", &recent.to_string());
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("account.yaml");
    std::fs::write(&seed, text).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::from_seed_file(&seed)
    };
    let fake = runtime.block_on(FakeKlaviyo::start(config)).unwrap();
    project(dir.path(), &fake.base_url());
    let (code, stdout, stderr) = warmup(
        dir.path(),
        DEFAULT_FAKE_KEY,
        &["sync", "klaviyo", "--initial"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("profiles: 3 created, 0 updated"),
        "{stdout}"
    );
    // Consent: two joins of the mapped list, one leave, one global unsubscribe; one SMS
    // consent as history; three campaign events (the checkout is not a campaign metric).
    assert!(
        stdout.contains("events added: 8 (4 consent, 3 campaign, 1 other consent history)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("reconciliation: 0 accepted, 0 rejected"),
        "{stdout}"
    );
    let (_, count, _) = warmup(dir.path(), DEFAULT_FAKE_KEY, &["customers", "count"]);
    assert_eq!(count.trim(), "3");

    let sarah = show(dir.path(), "sarah.mason@example.com");
    assert!(
        sarah.contains("  newsletter: accepted at 2025-03-01T09:05:00+00:00"),
        "{sarah}"
    );
    assert!(
        sarah.contains("klaviyo_email_consent: \"SUBSCRIBED\""),
        "{sarah}"
    );
    assert!(sarah.contains("first_name: \"Sarah\""), "{sarah}");
    assert!(sarah.contains("\"action\":\"clicked\""), "{sarah}");
    let ana = show(dir.path(), "ana.garcia@example.com");
    assert!(
        ana.contains("  newsletter: rejected at 2025-04-01T12:00:00+00:00"),
        "{ana}"
    );
    let john = show(dir.path(), "john.novak@example.com");
    assert!(
        john.contains("  newsletter: rejected at 2025-04-10T08:00:00+00:00"),
        "{john}"
    );
    assert!(
        john.contains("klaviyo_email_consent: \"UNSUBSCRIBED\""),
        "{john}"
    );
    assert!(
        john.contains("klaviyo_sms_consent: \"SUBSCRIBED\""),
        "{john}"
    );
    assert!(john.contains("klaviyo_phone: \"+15555550100\""), "{john}");
}
