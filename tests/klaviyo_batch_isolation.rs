//! A batched `klaviyo.add_to_list` call with a few stale profile ids, through `warmup tick`
//! against the product's fake Klaviyo on loopback: the stale customers fail alone, everyone
//! else reaches the list, the tick says which node failed and why, exits 3, and `--json`
//! carries the same summary. Customers without a Klaviyo profile pass without a call.

use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use chrono::{DateTime, Duration, Timelike, Utc};
use warmup::klaviyo::fake::{FakeConfig, FakeKlaviyo, RateLimits, DEFAULT_FAKE_KEY, VIP_LIST};

const LIST_CALLS: &str = "POST /api/lists/{id}/relationships/profiles";

fn warmup(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command
        .current_dir(dir)
        .env("BATCH_KLAVIYO_KEY", DEFAULT_FAKE_KEY)
        .env_remove("WARMUP_CRASH_AT");
    command
}

/// A project whose scenario adds everyone to the exclusion list at `at`, in batches of 1000,
/// and marks who went on and who failed.
fn write_project(dir: &Path, klaviyo: &str, at: DateTime<Utc>) {
    let project = format!(
        r#"timezone: UTC
store: store
consent_categories:
  newsletter: {{ description: News by e-mail. }}
auth:
  klaviyo:
    secret: {{ env: BATCH_KLAVIYO_KEY }}
    headers:
      Authorization: "Klaviyo-API-Key {{{{ secret }}}}"
    base_url: {klaviyo}
    revision: "2026-07-15"
"#
    );
    std::fs::write(dir.join("warmup.yaml"), project).unwrap();
    let scenario = format!(
        r#"name: exclusion
params: {{ exclusion_list_id: {VIP_LIST} }}
nodes:
  "229": {{ kind: on_date, at: "{}", next: "225" }}
  "225":
    kind: webhook
    preset: klaviyo.add_to_list
    auth: klaviyo
    with: {{ list_id: "{{{{ params.exclusion_list_id }}}}" }}
    batch: {{ size: 1000 }}
    next: excluded
    on_failure: not_excluded
  excluded: {{ kind: set_property, set: {{ excluded: true }} }}
  not_excluded: {{ kind: set_property, set: {{ excluded: false }} }}
"#,
        at.format("%Y-%m-%dT%H:%M")
    );
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::write(dir.join("scenarios/exclusion.yaml"), scenario).unwrap();
}

/// Imports `rows` (email, Klaviyo id or empty).
fn import(dir: &Path, rows: &[(String, String)]) {
    let mut csv = String::from("Email,Klaviyo ID\n");
    for (email, id) in rows {
        csv.push_str(&format!("{email},{id}\n"));
    }
    std::fs::write(dir.join("customers.csv"), csv).unwrap();
    let output = warmup(dir)
        .args(["import", "customers", "customers.csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

/// Activates the scenario, then ticks past its fire; returns the second tick.
fn tick_through(dir: &Path, now: DateTime<Utc>, json: bool) -> Output {
    let first = warmup(dir)
        .args(["tick", "--now", &now.to_rfc3339()])
        .output()
        .unwrap();
    assert!(first.status.success(), "{first:?}");
    let later = (now + Duration::minutes(2)).to_rfc3339();
    let mut args = vec!["tick", "--now", later.as_str()];
    if json {
        args.push("--json");
    }
    warmup(dir).args(&args).output().unwrap()
}

fn minute_now() -> DateTime<Utc> {
    Utc::now()
        .with_second(0)
        .unwrap()
        .with_nanosecond(0)
        .unwrap()
}

async fn fake(profiles: usize) -> FakeKlaviyo {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(profiles)
    };
    FakeKlaviyo::start(config).await.unwrap()
}

/// `(email, id)` of the fake's profiles that have an address.
fn profiles(fake: &FakeKlaviyo) -> Vec<(String, String)> {
    fake.state()
        .profiles()
        .iter()
        .filter_map(|p| Some((p.email.clone()?, p.id.clone())))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_stale_ids_fail_alone_in_a_batch_of_a_thousand() {
    let fake = fake(1100).await;
    let mut rows: Vec<(String, String)> = profiles(&fake).into_iter().take(997).collect();
    assert_eq!(
        rows.len(),
        997,
        "the fake has enough profiles with an address"
    );
    // Profiles merged or deleted in Klaviyo since the export: valid ids Klaviyo does not have.
    let stale = [
        "01HZZZZZZZZZZZZZZZZZZZZZZ1",
        "01HZZZZZZZZZZZZZZZZZZZZZZ2",
        "01HZZZZZZZZZZZZZZZZZZZZZZ3",
    ];
    for (n, id) in stale.iter().enumerate() {
        rows.insert(
            n * 300 + 17,
            (format!("gone{n}@example.com"), id.to_string()),
        );
    }
    let before = fake.state().list_members(VIP_LIST).len();
    let dir = tempfile::tempdir().unwrap();
    let now = minute_now();
    write_project(dir.path(), &fake.base_url(), now + Duration::minutes(1));
    import(dir.path(), &rows);

    let output = tick_through(dir.path(), now, true);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(report["failed"], 3, "{report}");
    assert_eq!(report["webhook_calls"], 1, "{report}");
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{report}");
    assert_eq!(failures[0]["scenario"], "exclusion");
    assert_eq!(failures[0]["node"], "225");
    assert_eq!(failures[0]["failed"], 3);
    let reason = &failures[0]["reasons"][0];
    assert_eq!(reason["count"], 3, "{report}");
    let text = reason["reason"].as_str().unwrap();
    assert!(
        text.contains("HTTP 404") && text.contains("A profile with id <id> does not exist"),
        "{text}"
    );

    // 997 added; each stale id cost one request, then the rest went again: 4 in all.
    let state = fake.state();
    let members = state.list_members(VIP_LIST);
    let newly: Vec<&(String, String)> = rows
        .iter()
        .filter(|(_, id)| !stale.contains(&id.as_str()))
        .collect();
    assert_eq!(newly.len(), 997);
    assert!(members.len() >= before && members.len() <= before + 997);
    assert!(newly.iter().all(|(_, id)| members.contains(id)));
    assert!(stale.iter().all(|id| !members.contains(&id.to_string())));
    assert_eq!(state.request_count(LIST_CALLS), 4);
    drop(state);

    let status = warmup(dir.path()).arg("status").output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains("225 3 failed: HTTP 404: not_found"),
        "{status}"
    );
    let shown = warmup(dir.path())
        .args(["customers", "show", "gone1@example.com"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains("  excluded: false\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_without_a_klaviyo_profile_pass_without_a_call() {
    let fake = fake(20).await;
    let mut rows: Vec<(String, String)> = profiles(&fake).into_iter().take(3).collect();
    rows.push(("new1@example.com".into(), String::new()));
    rows.push(("new2@example.com".into(), String::new()));
    let dir = tempfile::tempdir().unwrap();
    let now = minute_now();
    write_project(dir.path(), &fake.base_url(), now + Duration::minutes(1));
    import(dir.path(), &rows);

    let output = tick_through(dir.path(), now, false);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout.contains("1 webhook calls"), "{stdout}");
    assert!(
        stdout.contains("2 customers without a Klaviyo profile passed a Klaviyo list call"),
        "{stdout}"
    );
    assert_eq!(fake.state().request_count(LIST_CALLS), 1);
    let shown = warmup(dir.path())
        .args(["customers", "show", "new2@example.com"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains("  excluded: true\n"));
}
