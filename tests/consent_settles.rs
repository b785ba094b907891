//! Round trips with Klaviyo settle: the `#296 → #297` consent-reject flow against the
//! product's fake Klaviyo on loopback, with `warmup sync klaviyo` bringing our own
//! unsubscribes back as events. Ten rounds of tick and sync unsubscribe each customer in
//! Klaviyo exactly once, and history imported after the scenario became active (old
//! unsubscribes from the initial sync and from a CSV export) triggers nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use chrono::Utc;
use warmup::klaviyo::fake::{
    FakeConfig, FakeKlaviyo, RateLimits, DEFAULT_FAKE_KEY, NEWSLETTER_LIST,
};
use warmup::store::{ConsentAction, Store};

const UNSUBSCRIBE_JOBS: &str = "POST /api/profile-subscription-bulk-delete-jobs";
/// The fake's records of an unsubscribe.
const UNSUBSCRIBED: [&str; 2] = [
    "Unsubscribed from List",
    "Unsubscribed from Email Marketing",
];

fn warmup(dir: &Path, args: &[&str]) -> Output {
    let output = Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(dir)
        .env("SETTLE_KLAVIYO_KEY", DEFAULT_FAKE_KEY)
        .env_remove("WARMUP_CRASH_AT")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "warmup {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn write_project(dir: &Path, klaviyo: &str) {
    let project = format!(
        r#"timezone: UTC
store: store
consent_categories:
  newsletter: {{ description: News by e-mail. }}
auth:
  klaviyo:
    secret: {{ env: SETTLE_KLAVIYO_KEY }}
    headers:
      Authorization: "Klaviyo-API-Key {{{{ secret }}}}"
    base_url: {klaviyo}
    revision: "2026-07-15"
klaviyo:
  api_key: {{ env: SETTLE_KLAVIYO_KEY }}
  base_url: {klaviyo}
  lists:
    {NEWSLETTER_LIST}: newsletter
import:
  consent_category: newsletter
"#
    );
    std::fs::write(dir.join("warmup.yaml"), project).unwrap();
    let scenario = format!(
        r#"name: unsubscribes
params: {{ unsubscribe_list_id: {NEWSLETTER_LIST} }}
nodes:
  "296": {{ kind: on_event, event: consent, where: {{ action: reject, category: newsletter }}, next: "297" }}
  "297":
    kind: webhook
    preset: klaviyo.unsubscribe
    auth: klaviyo
    with: {{ list_id: "{{{{ params.unsubscribe_list_id }}}}" }}
    batch: {{ size: 100 }}
"#
    );
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::write(dir.join("scenarios/unsubscribes.yaml"), scenario).unwrap();
}

async fn fake(profiles: usize) -> FakeKlaviyo {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(profiles)
    };
    FakeKlaviyo::start(config).await.unwrap()
}

/// How many unsubscribe records the fake holds per profile.
fn unsubscribes(fake: &FakeKlaviyo) -> BTreeMap<String, usize> {
    let state = fake.state();
    state
        .profiles()
        .iter()
        .map(|p| {
            let count = state
                .event_names_of(&p.id)
                .iter()
                .filter(|name| UNSUBSCRIBED.contains(&name.as_str()))
                .count();
            (p.id.clone(), count)
        })
        .collect()
}

/// Klaviyo ids of customers whose newsletter consent is accepted in the store.
fn accepted(dir: &Path) -> Vec<String> {
    let store = Store::open(&dir.join("store")).unwrap();
    store
        .customers()
        .map(Result::unwrap)
        .filter(|c| {
            store
                .consent_state(c.id, "newsletter")
                .unwrap()
                .is_some_and(|s| s.action == ConsentAction::Accept)
        })
        .filter_map(|c| c.klaviyo_id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_rounds_of_tick_and_sync_unsubscribe_each_customer_once() {
    let fake = fake(60).await;
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), &fake.base_url());
    warmup(dir.path(), &["sync", "klaviyo"]);
    warmup(dir.path(), &["tick"]);
    assert_eq!(fake.state().request_count(UNSUBSCRIBE_JOBS), 0);

    // Customers unsubscribe on our side (e.g. the one-click link in our e-mail).
    let rejecting: Vec<String> = accepted(dir.path()).into_iter().take(12).collect();
    assert!(
        rejecting.len() >= 5,
        "too few subscribed customers: {rejecting:?}"
    );
    let now = Utc::now().to_rfc3339();
    let lines: Vec<String> = rejecting
        .iter()
        .map(|id| {
            serde_json::json!({
                "klaviyo_id": id, "type": "consent", "timestamp": now,
                "properties": { "action": "reject", "category": "newsletter" },
            })
            .to_string()
        })
        .collect();
    std::fs::write(dir.path().join("rejects.jsonl"), lines.join("\n")).unwrap();
    warmup(dir.path(), &["import", "events", "rejects.jsonl"]);

    let before = unsubscribes(&fake);
    let mut echoes = 0;
    for round in 0..10 {
        warmup(dir.path(), &["tick"]);
        let synced = warmup(dir.path(), &["sync", "klaviyo"]);
        let text = String::from_utf8_lossy(&synced.stdout);
        if round == 0 {
            assert!(text.contains("Klaviyo sync (incremental)"), "{text}");
        }
        echoes += usize::from(!text.contains("events added: 0 "));
    }
    assert!(echoes > 0, "the sync never brought our unsubscribes back");
    let after = unsubscribes(&fake);
    for (profile, count) in &after {
        let expected = before[profile] + usize::from(rejecting.contains(profile));
        assert_eq!(*count, expected, "profile {profile}");
    }
    assert_eq!(fake.state().request_count(UNSUBSCRIBE_JOBS), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_imported_after_activation_triggers_nothing() {
    let fake = fake(60).await;
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), &fake.base_url());
    // The scenario is active before anything is imported.
    warmup(dir.path(), &["tick"]);
    // A CSV export with long-past unsubscribes, then the initial sync with its history.
    std::fs::write(
        dir.path().join("export.csv"),
        "Email,Email Marketing Consent,Email Marketing Consent Timestamp\n\
         old1@example.com,UNSUBSCRIBED,2025-03-01T10:00:00Z\n\
         old2@example.com,UNSUBSCRIBED,2025-06-01T10:00:00Z\n",
    )
    .unwrap();
    warmup(dir.path(), &["import", "customers", "export.csv"]);
    warmup(dir.path(), &["sync", "klaviyo"]);
    let rejected = {
        let store = Store::open(&dir.path().join("store")).unwrap();
        store
            .customers()
            .map(Result::unwrap)
            .filter(|c| {
                store
                    .consent_state(c.id, "newsletter")
                    .unwrap()
                    .is_some_and(|s| s.action == ConsentAction::Reject)
            })
            .count()
    };
    assert!(rejected > 2, "the history holds unsubscribes: {rejected}");

    let tick = warmup(dir.path(), &["tick"]);
    let text = String::from_utf8_lossy(&tick.stdout);
    assert!(text.contains(": 0 runs started"), "{text}");
    assert_eq!(fake.state().request_count(UNSUBSCRIBE_JOBS), 0);
}
