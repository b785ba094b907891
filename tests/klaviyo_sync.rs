//! `warmup sync klaviyo` against the fake Klaviyo on loopback.

mod klaviyo_support;

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, Utc};
use klaviyo_support::{client, MemorySink};
use serde_json::{json, Map};
use warmup::klaviyo::fake::{
    FakeConfig, FakeKlaviyo, RateLimits, DEFAULT_FAKE_KEY, NEWSLETTER_LIST, SMS_LIST,
};
use warmup::klaviyo::sync::{
    Mapping, SyncError, SyncOptions, SyncReport, Syncer, CAMPAIGN_METRICS, GLOBAL_UNSUBSCRIBES,
    LIST_METRICS, OTHER_CONSENT,
};

fn mapping() -> Mapping {
    Mapping {
        properties: BTreeMap::from([
            ("phone_number".into(), "klaviyo_phone".into()),
            ("first_name".into(), "first_name".into()),
            (
                "properties.Shopify Tags".into(),
                "klaviyo_shopify_tags".into(),
            ),
            ("location.city".into(), "city".into()),
        ]),
        lists: BTreeMap::from([
            (NEWSLETTER_LIST.into(), "newsletter".into()),
            (SMS_LIST.into(), "sms".into()),
        ]),
    }
}

async fn fake(profiles: usize, limits: RateLimits) -> FakeKlaviyo {
    // One "now" for every fake of a test run, so equal seeds give equal accounts.
    static NOW: std::sync::OnceLock<chrono::DateTime<Utc>> = std::sync::OnceLock::new();
    let now = *NOW.get_or_init(Utc::now);
    let config = FakeConfig {
        rate_limits: limits,
        now,
        ..FakeConfig::with_profiles(profiles)
    };
    FakeKlaviyo::start(config).await.unwrap()
}

async fn sync(
    fake: &FakeKlaviyo,
    sink: &MemorySink,
    initial: bool,
) -> Result<SyncReport, SyncError> {
    let options = SyncOptions {
        initial,
        progress: false,
        ..SyncOptions::default()
    };
    let syncer = Syncer::new(
        client(&fake.base_url(), DEFAULT_FAKE_KEY),
        sink,
        mapping(),
        options,
    )?;
    syncer.run().await
}

#[tokio::test]
async fn initial_sync_loads_thousands_of_profiles_over_many_pages() {
    let fake = fake(3_000, RateLimits::off()).await;
    let sink = MemorySink::new();
    let report = sync(&fake, &sink, true).await.unwrap();
    assert!(report.initial);
    assert_eq!(report.profiles_created, 3_000);
    assert_eq!(sink.customers().len(), 3_000);
    assert!(report.pages >= 30, "{report}");
    let state = fake.state();
    let sample = &state.profiles()[1234];
    let customer = sink.customer(&sample.id).unwrap();
    assert_eq!(customer.email, sample.email);
    assert_eq!(customer.properties["first_name"], json!(sample.first_name));
    assert_eq!(
        customer.properties["klaviyo_phone"],
        json!(sample.phone_number)
    );
    assert_eq!(customer.properties["city"], json!("Prague"));
    assert_eq!(
        customer.properties["klaviyo_email_consent"],
        json!(sample.email_marketing.consent.as_str())
    );
    // Every consent-history event of a mapped list or a global unsubscribe arrived: one
    // `consent` event per list event, one per mapped category per global unsubscribe.
    let events = sink.events();
    let mapped = [NEWSLETTER_LIST, SMS_LIST];
    let window_start = (Utc::now() - Duration::days(30)).timestamp();
    let (mut expected_consent, mut expected_campaign) = (0, 0);
    for (metric, list, at) in state.event_summaries() {
        if LIST_METRICS.contains(&metric.as_str())
            && list.as_deref().is_some_and(|l| mapped.contains(&l))
        {
            expected_consent += 1;
        } else if GLOBAL_UNSUBSCRIBES.contains(&metric.as_str()) {
            expected_consent += 2;
        } else if CAMPAIGN_METRICS.iter().any(|(n, _, _)| *n == metric) && at >= window_start + 60 {
            expected_campaign += 1;
        }
    }
    let history = events
        .iter()
        .filter(|(_, e)| e.event_type == "consent" && e.properties.contains_key("klaviyo_event_id"))
        .count();
    assert_eq!(history, expected_consent);
    let campaign_count = events
        .iter()
        .filter(|(_, e)| e.event_type == "campaign")
        .count();
    assert!(
        campaign_count >= expected_campaign && campaign_count <= expected_campaign + 200,
        "{campaign_count} vs {expected_campaign}"
    );
    let consent: Vec<_> = events
        .iter()
        .filter(|(_, e)| e.event_type == "consent")
        .collect();
    let subscribed_newsletter = state.list_members(NEWSLETTER_LIST).len();
    let accepts = consent
        .iter()
        .filter(|(_, e)| {
            e.properties["action"] == "accept" && e.properties["category"] == "newsletter"
        })
        .count();
    assert!(
        accepts >= subscribed_newsletter,
        "{accepts} accepts, {subscribed_newsletter} members"
    );
    // Campaign events only from the last 30 days.
    let campaign: Vec<_> = events
        .iter()
        .filter(|(_, e)| e.event_type == "campaign")
        .collect();
    assert!(!campaign.is_empty());
    let window = Utc::now() - Duration::days(30) - Duration::minutes(5);
    assert!(campaign.iter().all(|(_, e)| e.timestamp >= window));
    assert_eq!(report.events_added() as usize, events.len());
    // Event ids are unique.
    let ids: HashSet<String> = events
        .iter()
        .filter(|(_, e)| e.properties.contains_key("klaviyo_event_id"))
        .map(|(_, e)| {
            format!(
                "{}/{}",
                e.properties["klaviyo_event_id"],
                e.properties
                    .get("category")
                    .map(|c| c.to_string())
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        ids.len(),
        events
            .iter()
            .filter(|(_, e)| e.properties.contains_key("klaviyo_event_id"))
            .count()
    );
}

#[tokio::test]
async fn incremental_sync_fetches_only_changes_and_reruns_add_no_duplicates() {
    let fake = fake(500, RateLimits::off()).await;
    let sink = MemorySink::new();
    let first = sync(&fake, &sink, false).await.unwrap();
    assert!(first.initial);
    let events_before = sink.events().len();
    let again = sync(&fake, &sink, false).await.unwrap();
    assert!(!again.initial);
    assert_eq!(
        again.profiles_created + again.profiles_updated,
        0,
        "{again}"
    );
    assert_eq!(again.events_added(), 0, "{again}");
    assert_eq!(sink.events().len(), events_before);
    // A forced initial load re-reads everything and still adds nothing.
    let reload = sync(&fake, &sink, true).await.unwrap();
    assert_eq!(reload.events_added(), 0, "{reload}");
    assert!(reload.duplicate_events > 0);
    assert_eq!(sink.events().len(), events_before);
    // Changes made in Klaviyo's UI come over, and only they.
    let (changed, unsubscribed) = {
        let mut state = fake.state();
        let ids: Vec<String> = state
            .profiles()
            .iter()
            .take(3)
            .map(|p| p.id.clone())
            .collect();
        for id in &ids {
            state.ui_update_profile(id, |p| p.first_name = Some("Renamed".into()));
        }
        let other = state.profiles()[10].id.clone();
        state.ui_record_event(&other, "Unsubscribed from Email Marketing", None);
        (ids, other)
    };
    let before = fake.state().request_count("GET /api/profiles");
    let incremental = sync(&fake, &sink, false).await.unwrap();
    assert_eq!(incremental.profiles_updated, 3, "{incremental}");
    assert_eq!(
        fake.state().request_count("GET /api/profiles") - before,
        1,
        "one page of changes"
    );
    for id in &changed {
        assert_eq!(
            sink.customer(id).unwrap().properties["first_name"],
            "Renamed"
        );
    }
    let rejects: Vec<String> = sink
        .events_of(&unsubscribed)
        .iter()
        .filter(|e| {
            e.event_type == "consent"
                && e.properties["action"] == "reject"
                && e.properties["metric"] == "Unsubscribed from Email Marketing"
        })
        .map(|e| e.properties["category"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rejects, ["newsletter", "sms"], "every mapped category");
    assert_eq!(incremental.events_added(), 2, "{incremental}");
}

#[tokio::test]
async fn a_429_storm_is_ridden_out_with_nothing_lost_or_duplicated() {
    let calm = fake(300, RateLimits::off()).await;
    let calm_sink = MemorySink::new();
    sync(&calm, &calm_sink, true).await.unwrap();
    let stormy = fake(300, RateLimits::uniform(3, 10_000)).await;
    let sink = MemorySink::new();
    let report = sync(&stormy, &sink, true).await.unwrap();
    assert!(stormy.state().throttled_count() > 0, "no 429 was provoked");
    assert!(
        report.retries >= stormy.state().throttled_count(),
        "{report}"
    );
    assert_eq!(sink.customers().len(), calm_sink.customers().len());
    let key = |(c, e): &(
        klaviyo_support::Customer,
        warmup::klaviyo::sync::SyncedEvent,
    )| {
        format!(
            "{} {} {:?} {:?}",
            c.klaviyo_id,
            e.event_type,
            e.properties.get("klaviyo_event_id"),
            e.properties.get("category")
        )
    };
    let mut a: Vec<String> = calm_sink.events().iter().map(key).collect();
    let mut b: Vec<String> = sink.events().iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a.len(), b.len());
    let differ: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x != y).take(3).collect();
    assert!(differ.is_empty(), "first differences: {differ:?}");
}

#[tokio::test]
async fn reconciliation_catches_a_manual_removal() {
    let fake = fake(200, RateLimits::off()).await;
    let sink = MemorySink::new();
    sync(&fake, &sink, true).await.unwrap();
    let member = {
        let state = fake.state();
        state
            .list_members(NEWSLETTER_LIST)
            .into_iter()
            .find(|id| {
                state.profile(id).unwrap().email_marketing.consent.as_str() == "SUBSCRIBED"
                    && state
                        .profile(id)
                        .unwrap()
                        .email_marketing
                        .suppression
                        .is_empty()
            })
            .unwrap()
    };
    assert!(fake.state().ui_remove_from_list(NEWSLETTER_LIST, &member));
    let events_in_klaviyo = fake.state().event_count();
    let report = sync(&fake, &sink, false).await.unwrap();
    assert_eq!(
        fake.state().event_count(),
        events_in_klaviyo,
        "Klaviyo recorded no event"
    );
    assert_eq!(report.reconciled_rejects, 1, "{report}");
    let last = sink.events_of(&member).into_iter().last().unwrap();
    assert_eq!(last.event_type, "consent");
    assert_eq!(last.properties["action"], "reject");
    assert_eq!(last.properties["category"], "newsletter");
    assert_eq!(
        last.properties["reason"],
        "reconciliation: removed from the list in Klaviyo"
    );
    // Nothing more to reconcile next time.
    assert_eq!(
        sync(&fake, &sink, false).await.unwrap().reconciled_rejects,
        0
    );
}

#[tokio::test]
async fn a_wrong_api_key_gives_a_clear_error_and_changes_nothing() {
    let fake = fake(50, RateLimits::off()).await;
    let sink = MemorySink::new();
    let options = SyncOptions {
        progress: false,
        ..SyncOptions::default()
    };
    let secret = "pk_wrongwrongwrongwrongwrongwrongwr";
    let syncer = Syncer::new(client(&fake.base_url(), secret), &sink, mapping(), options).unwrap();
    let error = syncer.run().await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("Klaviyo authentication failed"),
        "{message}"
    );
    assert!(!message.contains(secret));
    assert!(sink.customers().is_empty());
    assert!(sink.events().is_empty());
    assert_eq!(sink.cursor_count(), 0);
}

#[test]
fn the_consent_mapping_table_event_by_event() {
    let mapping = mapping();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let mut table = String::new();
    let metrics = LIST_METRICS
        .iter()
        .chain(GLOBAL_UNSUBSCRIBES)
        .chain(OTHER_CONSENT)
        .chain(CAMPAIGN_METRICS.iter().map(|(n, _, _)| n))
        .chain(&["Placed Order"]);
    for metric in metrics {
        for list in [Some(NEWSLETTER_LIST), Some(SMS_LIST), Some("Unmapped")] {
            if !LIST_METRICS.contains(metric) && list != Some(NEWSLETTER_LIST) {
                continue;
            }
            let mut props = Map::new();
            if LIST_METRICS.contains(metric) {
                props.insert("List ID".into(), json!(list));
            }
            props.insert("Campaign Name".into(), json!("Spring"));
            let events = mapping.events("EVT", metric, at, &props);
            let shown: Vec<String> = events
                .iter()
                .map(|e| {
                    let p = &e.properties;
                    let field =
                        |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("-").to_owned();
                    format!(
                        "{} action={} category={} channel={}",
                        e.event_type,
                        field("action"),
                        field("category"),
                        field("channel")
                    )
                })
                .collect();
            let list = if LIST_METRICS.contains(metric) {
                format!(" [{}]", list.unwrap_or(""))
            } else {
                String::new()
            };
            table.push_str(&format!(
                "{metric}{list} => {}\n",
                if shown.is_empty() {
                    "(nothing)".into()
                } else {
                    shown.join("; ")
                }
            ));
        }
    }
    insta::assert_snapshot!(table);
}
