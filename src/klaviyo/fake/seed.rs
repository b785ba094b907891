//! The deterministic generator of a fake account: profiles with consent histories, lists,
//! Klaviyo's built-in metrics, campaigns and campaign events. The same seed and size give the
//! same account (ids, names, events) on every run.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use ulid::Ulid;

use super::config::FakeConfig;
use super::model::{
    Campaign, ChannelConsent, Consent, Event, EventDetail, List, Metric, OptInProcess, Profile,
    Suppression,
};
use super::state::FakeState;
use crate::klaviyo::ids::short_id;

/// Id of the generated "Newsletter" list (single opt-in); the example project maps it.
pub const NEWSLETTER_LIST: &str = "Y6nRLr";
/// Id of the generated "VIP" list (double opt-in).
pub const VIP_LIST: &str = "VipDoi";
/// Id of the generated "SMS Subscribers" list.
pub const SMS_LIST: &str = "SmsLst";
/// Id of the generated, empty "Exclusion list" (the example scenarios' exclusion list).
pub const EXCLUSION_LIST: &str = "XyZ123";

/// Built-in metric names with their integration (name, category).
pub(super) const METRICS: &[(&str, &str, &str)] = &[
    ("Received Email", "Klaviyo", "Internal"),
    ("Opened Email", "Klaviyo", "Internal"),
    ("Clicked Email", "Klaviyo", "Internal"),
    ("Bounced Email", "Klaviyo", "Internal"),
    ("Dropped Email", "Klaviyo", "Internal"),
    ("Marked Email as Spam", "Klaviyo", "Internal"),
    ("Unsubscribed", "Klaviyo", "Internal"),
    ("Subscribed to List", "Klaviyo", "Internal"),
    ("Unsubscribed from List", "Klaviyo", "Internal"),
    ("Subscribed to Email Marketing", "Klaviyo", "Internal"),
    ("Unsubscribed from Email Marketing", "Klaviyo", "Internal"),
    ("Received SMS", "Klaviyo", "Internal"),
    ("Clicked SMS", "Klaviyo", "Internal"),
    ("Consented to Receive SMS", "Klaviyo", "Internal"),
    ("Unsubscribed from SMS", "Klaviyo", "Internal"),
    ("Failed to Deliver SMS", "Klaviyo", "Internal"),
    ("Placed Order", "Shopify", "eCommerce"),
];

/// Campaign metrics with their share of generated campaign events (percent).
const CAMPAIGN_MIX: &[(&str, u32)] = &[
    ("Received Email", 48),
    ("Opened Email", 28),
    ("Clicked Email", 10),
    ("Bounced Email", 3),
    ("Dropped Email", 2),
    ("Marked Email as Spam", 1),
    ("Received SMS", 4),
    ("Clicked SMS", 1),
    ("Placed Order", 3),
];

const FIRST: &[&str] = &[
    "Sarah", "John", "Ana", "Li", "Omar", "Eva", "Jan", "Marta", "Noah", "Mia", "Lukas", "Zoe",
];
const LAST: &[&str] = &[
    "Mason", "Novak", "Smith", "Garcia", "Chen", "Kowalski", "Dvorak", "Muller", "Rossi", "Kim",
];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "icloud.com",
    "seznam.cz",
    "example.org",
];

/// Builds the account a config describes.
pub fn generate(config: &FakeConfig) -> FakeState {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut state = FakeState::default();
    let now = config.now;
    let origin = now - Duration::days(730);
    state.lists = seed_lists(origin);
    state.metrics = METRICS
        .iter()
        .map(|&(name, integration, category)| Metric {
            id: short_id(rng.random()),
            name: name.to_owned(),
            created: origin,
            integration: integration.to_owned(),
            category: category.to_owned(),
        })
        .collect();
    state.campaigns = (0..30)
        .map(|i| Campaign {
            name: format!("Campaign {}", i + 1),
            subject: format!("News #{}", i + 1),
            message_id: Ulid::from_parts(rng.random::<u32>() as u64, rng.random()).to_string(),
        })
        .collect();
    let mut events = Vec::new();
    let span_ms = (now - origin - Duration::days(1)).num_milliseconds().max(1);
    let count = config.profiles.max(1) as i64;
    let mut last_id: Option<Ulid> = None;
    for i in 0..config.profiles {
        let offset = span_ms * i as i64 / count;
        let created = origin + Duration::milliseconds(offset);
        let mut id = Ulid::from_parts(created.timestamp_millis() as u64, rng.random());
        if let Some(last) = last_id.filter(|last| id <= *last) {
            id = last.increment().unwrap_or(last);
        }
        last_id = Some(id);
        let profile = seed_profile(&mut rng, i, id, created);
        let index = state.push_profile(profile);
        seed_consent(&mut rng, &mut state, index, now, &mut events);
        seed_campaign_events(&mut rng, config, index, now, &mut events);
    }
    events.sort_by_key(|e: &Event| e.timestamp);
    state.events = events;
    state.segments = vec![super::segments::engaged_90(&state, now)];
    state
}

fn seed_lists(origin: DateTime<Utc>) -> Vec<List> {
    let list = |id: &str, name: &str, opt_in| List {
        id: id.to_owned(),
        name: name.to_owned(),
        created: origin,
        updated: origin,
        opt_in_process: opt_in,
        members: Default::default(),
    };
    vec![
        list(NEWSLETTER_LIST, "Newsletter", OptInProcess::SingleOptIn),
        list(VIP_LIST, "VIP", OptInProcess::DoubleOptIn),
        list(SMS_LIST, "SMS Subscribers", OptInProcess::SingleOptIn),
        list("PrvLst", "Preview List", OptInProcess::SingleOptIn),
        // The example scenarios' exclusion list (`params.exclusion_list_id`), empty until
        // their #225 adds to it; the example project syncs its membership.
        list(EXCLUSION_LIST, "Exclusion list", OptInProcess::SingleOptIn),
    ]
}

fn seed_profile(rng: &mut StdRng, i: usize, id: Ulid, created: DateTime<Utc>) -> Profile {
    let first = FIRST[rng.random_range(0..FIRST.len())];
    let last = LAST[rng.random_range(0..LAST.len())];
    let domain = DOMAINS[rng.random_range(0..DOMAINS.len())];
    let mut profile = Profile::new(id.to_string(), created);
    profile.email = Some(format!(
        "{}.{}{i}@{domain}",
        first.to_lowercase(),
        last.to_lowercase()
    ));
    if rng.random_bool(0.3) {
        profile.phone_number = Some(format!("+1555{:07}", i % 10_000_000));
    }
    profile.first_name = Some(first.to_owned());
    profile.last_name = Some(last.to_owned());
    profile.locale = Some("en-US".to_owned());
    profile.location = json!({"address1": null, "city": "Prague", "country": "Czechia",
        "region": null, "zip": null, "timezone": "Europe/Prague", "ip": null,
        "latitude": null, "longitude": null});
    let mut properties = Map::new();
    if rng.random_bool(0.5) {
        properties.insert("Shopify Tags".into(), Value::from(vec!["vip", "repeat"]));
    }
    properties.insert(
        "Accepts Marketing".into(),
        Value::from(rng.random_bool(0.7)),
    );
    profile.properties = properties;
    profile
}

/// A consent history: most profiles subscribe to the newsletter; some later leave it or
/// unsubscribe globally; some with a phone consent to SMS and some of those text STOP.
fn seed_consent(
    rng: &mut StdRng,
    state: &mut FakeState,
    index: usize,
    now: DateTime<Utc>,
    events: &mut Vec<Event>,
) {
    let created = state.profiles[index].created;
    let room = (now - created - Duration::hours(1)).num_seconds().max(2);
    let mut at = created + Duration::seconds(rng.random_range(1..room / 2 + 2));
    let metric = |state: &FakeState, name: &str| state.metric_index(name).unwrap_or(0) as u16;
    let mut push = |state: &FakeState, at: DateTime<Utc>, name: &str, detail| {
        events.push(Event {
            timestamp: at.timestamp(),
            profile: index as u32,
            metric: metric(state, name),
            detail,
        })
    };
    let id = state.profiles[index].id.clone();
    if rng.random_bool(0.7) {
        push(state, at, "Subscribed to List", EventDetail::List(0));
        state.lists[0].members.insert(id.clone(), at);
        set_consent(
            &mut state.profiles[index].email_marketing,
            Consent::Subscribed,
            at,
            "FORM",
        );
        let roll = rng.random_range(0..100);
        if roll < 8 {
            at += Duration::seconds(rng.random_range(1..room / 2 + 2));
            push(state, at, "Unsubscribed from List", EventDetail::List(0));
            state.lists[0].members.remove(&id);
            state.profiles[index]
                .email_marketing
                .list_suppressions
                .push(Suppression {
                    reason: "UNSUBSCRIBE".into(),
                    timestamp: at,
                    list_id: Some(NEWSLETTER_LIST.into()),
                });
        } else if roll < 12 {
            at += Duration::seconds(rng.random_range(1..room / 2 + 2));
            push(
                state,
                at,
                "Unsubscribed from Email Marketing",
                EventDetail::Plain,
            );
            let email = &mut state.profiles[index].email_marketing;
            set_consent(email, Consent::Unsubscribed, at, "PREFERENCE_PAGE");
            email.suppression.push(Suppression {
                reason: "UNSUBSCRIBE".into(),
                timestamp: at,
                list_id: None,
            });
        }
    }
    if state.profiles[index].phone_number.is_some() && rng.random_bool(0.5) {
        push(state, at, "Consented to Receive SMS", EventDetail::Plain);
        push(state, at, "Subscribed to List", EventDetail::List(2));
        state.lists[2].members.insert(id.clone(), at);
        set_consent(
            &mut state.profiles[index].sms_marketing,
            Consent::Subscribed,
            at,
            "TEXT",
        );
        if rng.random_bool(0.1) {
            at += Duration::seconds(1);
            push(state, at, "Unsubscribed from SMS", EventDetail::Plain);
            set_consent(
                &mut state.profiles[index].sms_marketing,
                Consent::Unsubscribed,
                at,
                "TEXT",
            );
        }
    }
    state.profiles[index].updated = at.max(created);
}

fn set_consent(channel: &mut ChannelConsent, consent: Consent, at: DateTime<Utc>, method: &str) {
    channel.consent = consent;
    if consent == Consent::Subscribed {
        channel.consent_timestamp = Some(at);
    }
    channel.last_updated = Some(at);
    channel.method = Some(method.to_owned());
}

/// Campaign events of the last 60 days; campaigns go out every two days.
fn seed_campaign_events(
    rng: &mut StdRng,
    config: &FakeConfig,
    index: usize,
    now: DateTime<Utc>,
    events: &mut Vec<Event>,
) {
    let average = config.campaign_events_per_profile.max(0.0);
    let whole = average.floor() as usize;
    let count = whole + usize::from(rng.random_bool((average - whole as f64).clamp(0.0, 1.0)));
    let total: u32 = CAMPAIGN_MIX.iter().map(|(_, w)| w).sum();
    for _ in 0..count {
        let campaign = rng.random_range(0..30u16);
        let sent = now - Duration::days(60) + Duration::days(2 * campaign as i64);
        let at = sent + Duration::seconds(rng.random_range(0..86_400));
        let mut roll = rng.random_range(0..total);
        let name = CAMPAIGN_MIX
            .iter()
            .find(|(_, weight)| {
                let hit = roll < *weight;
                roll = roll.saturating_sub(*weight);
                hit
            })
            .map_or("Received Email", |(name, _)| name);
        let metric = METRICS.iter().position(|(n, _, _)| *n == name).unwrap_or(0);
        events.push(Event {
            timestamp: at.min(now).timestamp(),
            profile: index as u32,
            metric: metric as u16,
            detail: EventDetail::Campaign(campaign),
        });
    }
}
