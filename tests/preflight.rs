//! Preflight through the real binary: `warmup validate` finds a secret that does not resolve
//! and an e-mail template that fails for every customer, naming the field and file:line;
//! `tick` stops before sending anything; `validate --online` asks the product's fake Klaviyo
//! on loopback whether the key works and the list ids exist.

use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use warmup::klaviyo::fake::{FakeConfig, FakeKlaviyo, RateLimits, DEFAULT_FAKE_KEY};

/// A copy of the example project (project file, plan-driven scenario, templates).
fn example(dir: &Path) {
    std::fs::copy("warmup.yaml", dir.join("warmup.yaml")).unwrap();
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::copy(
        "scenarios/plan-driven.yaml",
        dir.join("scenarios/plan-driven.yaml"),
    )
    .unwrap();
    for entry in std::fs::read_dir("templates").unwrap() {
        let entry = entry.unwrap();
        let to = dir.join("templates").join(entry.file_name());
        std::fs::create_dir_all(&to).unwrap();
        for file in std::fs::read_dir(entry.path()).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), to.join(file.file_name())).unwrap();
        }
    }
}

/// `warmup` with every secret of the example project set, except those in `unset`.
fn warmup(dir: &Path, args: &[&str], unset: &[&str]) -> Output {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command
        .current_dir(dir)
        .env_remove("WARMUP_PROJECT")
        .env("KLAVIYO_API_KEY", DEFAULT_FAKE_KEY)
        .env("WARMUP_UNSUBSCRIBE_KEY", "preflight-signing-key")
        .env("WARMUP_INGEST_TOKEN", "preflight-ingest-token");
    for name in unset {
        command.env_remove(name);
    }
    command.args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The 1-based line of the first line of `file` that contains `text`.
fn line_of(file: &Path, text: &str) -> usize {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .position(|l| l.contains(text))
        .unwrap()
        + 1
}

#[test]
fn validate_finds_a_missing_secret_at_its_field_and_names_who_needs_it() {
    let dir = tempfile::tempdir().unwrap();
    example(dir.path());
    let output = warmup(dir.path(), &["validate"], &["WARMUP_UNSUBSCRIBE_KEY"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    let line = line_of(&dir.path().join("warmup.yaml"), "signing_key:");
    let mail = line_of(
        &dir.path().join("scenarios/plan-driven.yaml"),
        "kind: email",
    );
    for expected in [
        "W0039".to_owned(),
        format!("warmup.yaml:{line}:18]"),
        "`email.unsubscribe.signing_key`: environment variable `WARMUP_UNSUBSCRIBE_KEY` is not set"
            .to_owned(),
        format!("needed by node `mail` at ./scenarios/plan-driven.yaml:{mail}:11"),
        "2 files, 1 error".to_owned(),
    ] {
        assert!(text.contains(&expected), "no {expected:?} in {text}");
    }
    // Set but empty is as bad as unset.
    let mut command = Command::cargo_bin("warmup").unwrap();
    let empty = command
        .current_dir(dir.path())
        .env("KLAVIYO_API_KEY", "")
        .env("WARMUP_UNSUBSCRIBE_KEY", "k")
        .env("WARMUP_INGEST_TOKEN", "t")
        .arg("validate")
        .output()
        .unwrap();
    let text = stdout(&empty);
    assert_eq!(empty.status.code(), Some(2), "{text}");
    assert!(
        text.contains(
            "`auth.klaviyo.secret`: secret from environment variable `KLAVIYO_API_KEY` is empty"
        ),
        "{text}"
    );
    assert!(text.contains("`klaviyo.api_key`"), "{text}");
}

#[test]
fn a_template_that_fails_for_every_customer_is_found_before_the_day_it_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    example(dir.path());
    std::fs::write(
        dir.path().join("templates/day-9/body.txt"),
        "Hi {{ customer.first_name }},\n{{ params.coupon_code }}\n",
    )
    .unwrap();
    // Arithmetic on a property is fine: it fails only for customers without a number there.
    std::fs::write(
        dir.path().join("templates/day-8/body.txt"),
        "You have {{ customer.points + 2 }} points.\n",
    )
    .unwrap();
    let output = warmup(dir.path(), &["validate"], &[]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(!text.contains("day-8"), "{text}");
    assert!(text.contains("2 files, 1 error"), "{text}");
    let template = line_of(
        &dir.path().join("scenarios/plan-driven.yaml"),
        "template: \"day-",
    );
    for expected in [
        "W0040".to_owned(),
        "e-mail template `day-9` (day 9) fails for a sample customer".to_owned(),
        "day-9/body.txt".to_owned(),
        format!("plan-driven.yaml:{template}:"),
    ] {
        assert!(text.contains(&expected), "no {expected:?} in {text}");
    }
}

#[test]
fn tick_stops_before_anything_is_sent_when_a_secret_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    example(dir.path());
    let output = warmup(
        dir.path(),
        &["tick", "--now", "2026-12-01T09:00:00Z"],
        &["KLAVIYO_API_KEY"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("W0039"), "{stderr}");
    assert!(stderr.contains("`auth.klaviyo.secret`"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert!(!dir.path().join(".warmup").exists(), "the store was opened");
}

/// The example project pointed at `base_url` (both the auth schema and the sync).
fn point_at(dir: &Path, base_url: &str) {
    let path = dir.join("warmup.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            "base_url: https://a.klaviyo.com",
            &format!("base_url: {base_url}"),
        )
        .replace(
            "klaviyo:\n  api_key:",
            &format!("klaviyo:\n  base_url: {base_url}\n  api_key:"),
        );
    std::fs::write(path, text).unwrap();
}

#[test]
fn validate_online_asks_klaviyo_for_the_key_and_the_list_ids() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(5)
    };
    let fake = runtime.block_on(FakeKlaviyo::start(config)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    example(dir.path());
    point_at(dir.path(), &fake.base_url());
    let scenario = dir.path().join("scenarios/plan-driven.yaml");
    // Ids of lists the account does not have (the fake's generated account has the example's
    // exclusion list `XyZ123`, but not these).
    let unknown = std::fs::read_to_string(&scenario)
        .unwrap()
        .replace("exclusion_list_id: XyZ123", "exclusion_list_id: NoSuch1")
        .replace(
            "unsubscribe_list_id: AbC456",
            "unsubscribe_list_id: NoSuch2",
        );
    std::fs::write(&scenario, unknown).unwrap();

    let output = warmup(dir.path(), &["validate", "--online"], &[]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    for (id, node) in [
        ("NoSuch1", "225"),
        ("NoSuch1", "back_to_klaviyo"),
        ("NoSuch2", "297"),
    ] {
        assert!(
            text.contains(&format!(
                "Klaviyo has no list `{id}` (checked with `auth.klaviyo.secret`)"
            )),
            "{text}"
        );
        assert!(text.contains(&format!("node `{node}`")), "{text}");
    }
    let line = line_of(&scenario, "list_id: \"{{ params.exclusion_list_id }}\"");
    assert!(
        text.contains(&format!("plan-driven.yaml:{line}:")),
        "{text}"
    );
    assert!(
        text.contains("W0042") && text.contains("3 errors"),
        "{text}"
    );
    // Offline, nothing is asked.
    assert_eq!(
        warmup(dir.path(), &["validate"], &[]).status.code(),
        Some(0)
    );

    // With lists the account has, and the right key, all is well.
    let fixed = std::fs::read_to_string(&scenario)
        .unwrap()
        .replace("exclusion_list_id: NoSuch1", "exclusion_list_id: VipDoi")
        .replace(
            "unsubscribe_list_id: NoSuch2",
            "unsubscribe_list_id: Y6nRLr",
        );
    std::fs::write(&scenario, fixed).unwrap();
    let output = warmup(dir.path(), &["validate", "--online"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    // A key Klaviyo refuses is named by field; the key itself never shows.
    let wrong = "pk_wrong0000000000000000000000000000000";
    let mut command = Command::cargo_bin("warmup").unwrap();
    let output = command
        .current_dir(dir.path())
        .env("KLAVIYO_API_KEY", wrong)
        .env("WARMUP_UNSUBSCRIBE_KEY", "k")
        .env("WARMUP_INGEST_TOKEN", "t")
        .args(["validate", "--online"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("W0041"), "{text}");
    assert!(
        text.contains("`auth.klaviyo.secret`: Klaviyo refuses the key"),
        "{text}"
    );
    assert!(
        text.contains("`klaviyo.api_key`: Klaviyo refuses the key"),
        "{text}"
    );
    assert!(!text.contains(wrong), "{text}");
}

#[test]
fn run_stops_before_serving_or_sending_when_a_secret_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    example(dir.path());
    let output = warmup(dir.path(), &["run"], &["WARMUP_UNSUBSCRIBE_KEY"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`email.unsubscribe.signing_key`: environment variable `WARMUP_UNSUBSCRIBE_KEY` is not set"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&output.stdout).contains("listening"));
}
