//! Operators on small in-memory audiences: limits (priority, ties, `over`, per day, guard),
//! split, set_property / add_event, waits, `on_event` runs, and runs pinned to the scenario
//! version that started them.

mod support;

use std::sync::Arc;

use support::memory_engine::{at, engine, engine_with};

use chrono::Duration;
use serde_json::json;
use warmup::engine::state::SledKv;
use warmup::engine::{CustomerAccess, CustomerEvent, CustomerView, EngineState, MemoryCustomers};

fn customers(n: u64) -> Arc<MemoryCustomers> {
    let customers = MemoryCustomers::new();
    for id in 1..=n {
        let domain = if id % 2 == 0 {
            "gmail.com"
        } else {
            "yahoo.com"
        };
        let mut properties = serde_json::Map::new();
        properties.insert("score".into(), json!(id));
        properties.insert(
            "last_open".into(),
            json!(format!("2026-11-{:02}T10:00:00Z", id % 28 + 1)),
        );
        customers.insert(CustomerView {
            id,
            email: Some(format!("c{id}@{domain}")),
            properties: properties.into(),
            ..CustomerView::default()
        });
    }
    Arc::new(customers)
}

const LIMIT: &str = r#"
name: limits
nodes:
  start: { kind: on_date, at: "2026-12-01T00:00", next: cap }
  cap:
    kind: limit
    group_by: mailbox_provider
    caps: { gmail: 3, yahoo: 2, default: 0 }
    priority:
      - matching: { property: vip, equals: true }
      - highest: score
    passed: mail
    over: flag
  mail: { kind: email, template: welcome }
  flag: { kind: set_property, set: { waited: "day {{ day }}" } }
"#;

#[test]
fn limit_passes_the_best_per_group_and_sends_the_rest_over() {
    let access = customers(20);
    let mut vip = access.customer(3).unwrap().unwrap();
    vip.properties.make_mut().insert("vip".into(), json!(true));
    access.insert(vip);
    let (engine, actions) = engine(LIMIT, access.clone());
    engine.register(at("2026-11-30T00:00:00Z")).unwrap();
    engine.tick(at("2026-12-01T00:00:00+01:00")).unwrap();
    let mut sent: Vec<u64> = actions.emails().iter().map(|e| e.customer).collect();
    sent.sort_unstable();
    // gmail: even ids, highest score first: 20, 18, 16; yahoo: the VIP 3 first, then 19.
    assert_eq!(sent, [3, 16, 18, 19, 20]);
    let over = access.customer(1).unwrap().unwrap();
    assert_eq!(
        over.properties.get("waited").unwrap().as_ref(),
        &json!("day 1")
    );
    assert!(access
        .customer(20)
        .unwrap()
        .unwrap()
        .properties
        .get("waited")
        .is_none());
    let report = engine
        .report(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), 1)
        .unwrap();
    let cap = report.days[0]
        .nodes
        .iter()
        .find(|n| n.node == "cap")
        .unwrap();
    assert_eq!(
        (cap.entered, cap.ports["passed"], cap.ports["over"]),
        (20, 5, 15)
    );
    assert_eq!(report.days[0].caps["gmail"], 3);
}

#[test]
fn ties_are_broken_by_a_stable_hash_so_reruns_pick_the_same_people() {
    let yaml = LIMIT.replace("      - highest: score\n", "");
    let pick = || {
        let (engine, actions) = engine(&yaml, customers(40));
        engine.register(at("2026-11-30T00:00:00Z")).unwrap();
        engine.tick(at("2026-12-01T00:00:00+01:00")).unwrap();
        let mut sent: Vec<u64> = actions.emails().iter().map(|e| e.customer).collect();
        sent.sort_unstable();
        sent
    };
    let first = pick();
    assert_eq!(first.len(), 5);
    assert_eq!(first, pick());
    assert_ne!(first, [2, 4, 6, 1, 3], "not simply the lowest ids");
}

#[test]
fn a_per_day_limit_counts_across_runs_of_the_same_day() {
    let yaml = r#"
name: per-day
nodes:
  morning: { kind: on_date, at: "2026-12-01T08:00", next: cap }
  evening: { kind: on_date, at: "2026-12-01T18:00", next: cap }
  cap: { kind: limit, per: day, cap: 4, passed: mail }
  mail: { kind: email, template: welcome }
"#;
    let (engine, actions) = engine(yaml, customers(10));
    engine.register(at("2026-11-30T00:00:00Z")).unwrap();
    engine.tick(at("2026-12-01T08:00:00+01:00")).unwrap();
    engine.tick(at("2026-12-01T18:00:00+01:00")).unwrap();
    assert_eq!(
        actions.emails().len(),
        4,
        "the evening run finds the day's cap used"
    );
}

#[test]
fn split_is_stable_per_customer_and_close_to_its_percentages() {
    let yaml = r#"
name: split
nodes:
  start: { kind: on_date, at: "2026-12-01T00:00", next: ab }
  ab:
    kind: split
    branches:
      - { name: a, percent: 30, next: a }
      - { name: b, percent: 70, next: b }
  a: { kind: set_property, set: { branch: a } }
  b: { kind: set_property, set: { branch: b } }
"#;
    let branches = || {
        let access = customers(2000);
        let (engine, _) = engine(yaml, access.clone());
        engine.register(at("2026-11-30T00:00:00Z")).unwrap();
        engine.tick(at("2026-12-01T00:00:00+01:00")).unwrap();
        (1..=2000)
            .map(|id| {
                let customer = access.customer(id).unwrap().unwrap();
                customer.properties.get("branch").unwrap().into_owned()
            })
            .collect::<Vec<_>>()
    };
    let first = branches();
    let share = first.iter().filter(|b| **b == json!("a")).count();
    assert!(
        (500..700).contains(&share),
        "{share} of 2000 in the 30 % branch"
    );
    assert_eq!(first, branches());
}

#[test]
fn waits_park_tokens_until_their_instant() {
    let yaml = r#"
name: waits
nodes:
  start: { kind: on_date, at: "2026-12-01T00:00", next: pause }
  pause: { kind: wait, for: 2h, next: until }
  until: { kind: wait, until: "09:00", next: event }
  event: { kind: add_event, event: nudged, properties: { day: "{{ day }}" }, next: mail }
  mail: { kind: email, template: welcome }
"#;
    let access = customers(3);
    let (engine, actions) = engine(yaml, access.clone());
    engine.register(at("2026-11-30T00:00:00Z")).unwrap();
    engine.tick(at("2026-12-01T00:00:00+01:00")).unwrap();
    assert_eq!(
        engine
            .next_instant(at("2026-12-01T00:00:00+01:00"))
            .unwrap(),
        Some(at("2026-12-01T02:00:00+01:00"))
    );
    engine.tick(at("2026-12-01T08:59:00+01:00")).unwrap();
    assert!(actions.emails().is_empty());
    engine.tick(at("2026-12-01T09:00:00+01:00")).unwrap();
    assert_eq!(actions.emails().len(), 3);
    assert_eq!(
        access
            .events_of(2)
            .iter()
            .filter(|e| e.event_type == "nudged")
            .count(),
        1
    );
    // The e-mail recorded the campaign event that past-audience conditions read.
    let campaign = access
        .events_of(2)
        .into_iter()
        .find(|e| e.event_type == "campaign")
        .unwrap();
    assert_eq!(campaign.properties["action"], json!("delivered"));
    assert_eq!(campaign.properties["scenario"], json!("waits"));
    assert_eq!(campaign.properties["template"], json!("welcome"));
    assert_eq!(campaign.properties["mailbox_provider"], json!("gmail"));
}

#[test]
fn consent_rejects_start_runs_that_batch_the_unsubscribe_webhook() {
    let yaml = r#"
name: rejects
nodes:
  reject:
    kind: on_event
    event: consent
    where: { action: reject, category: newsletter }
    next: unsubscribe
  unsubscribe:
    kind: webhook
    preset: klaviyo.unsubscribe
    auth: klaviyo
    batch: { size: 100 }
"#;
    let access = customers(250);
    let (engine, actions) = engine(yaml, access.clone());
    engine.register(at("2026-11-30T00:00:00Z")).unwrap();
    for id in 1..=250 {
        let action = if id % 2 == 0 { "reject" } else { "accept" };
        let event = CustomerEvent {
            event_type: "consent".into(),
            timestamp: at("2026-12-01T10:00:00Z"),
            properties: json!({"action": action, "category": "newsletter"})
                .as_object()
                .unwrap()
                .clone(),
        };
        access.record_event(id, &event).unwrap();
    }
    engine.tick(at("2026-12-01T10:01:00Z")).unwrap();
    let calls = actions.webhooks();
    let sizes: Vec<usize> = calls.iter().map(|c| c.customers.len()).collect();
    assert_eq!(sizes, [100, 25]);
    assert!(calls
        .iter()
        .flat_map(|c| &c.customers)
        .all(|id| id % 2 == 0));
    // The same events do not start another run.
    engine.tick(at("2026-12-01T10:02:00Z")).unwrap();
    assert_eq!(actions.webhooks().len(), 2);
}

#[test]
fn the_guard_holds_a_providers_cap_after_a_bad_day() {
    let yaml = r#"
name: guarded
plans:
  ramp: { gmail: [2, 4, 8], yahoo: [2, 4, 8], default: [0, 0, 0] }
nodes:
  daily: { kind: repeat, at: "00:00", start: "2026-12-01", end: "2026-12-03", next: cap }
  cap:
    kind: limit
    group_by: mailbox_provider
    plan: ramp
    guard: { max_bounce_rate: 0.03, min_sends: 1, action: hold }
    passed: mail
  mail: { kind: email, template: welcome }
"#;
    let access = customers(40);
    let (engine, actions) = engine(yaml, access.clone());
    engine.register(at("2026-11-30T00:00:00Z")).unwrap();
    engine.tick(at("2026-11-30T00:00:00Z")).unwrap();
    engine.tick(at("2026-12-01T00:00:00+01:00")).unwrap();
    // One of day 1's two gmail e-mails bounced (reported the next morning, as a sync would).
    let bounced = actions
        .emails()
        .into_iter()
        .find(|e| e.provider == "gmail")
        .unwrap();
    let event = CustomerEvent {
        event_type: "campaign".into(),
        timestamp: at("2026-12-01T20:00:00Z"),
        properties: json!({"action": "bounced", "scenario": "guarded", "run": bounced.run})
            .as_object()
            .unwrap()
            .clone(),
    };
    access.record_event(bounced.customer, &event).unwrap();
    engine.tick(at("2026-12-02T00:00:00+01:00")).unwrap();
    let day2: Vec<_> = actions
        .emails()
        .into_iter()
        .filter(|e| e.day == 2)
        .collect();
    let count = |provider: &str| day2.iter().filter(|e| e.provider == provider).count();
    assert_eq!(
        (count("gmail"), count("yahoo")),
        (2, 4),
        "gmail held at day 1's cap"
    );
}

#[test]
fn an_open_run_keeps_the_version_that_started_it() {
    let v1 = r#"
name: pinned
nodes:
  start: { kind: on_date, at: "2026-12-01T00:00", next: pause }
  pause: { kind: wait, for: 1h, next: mark }
  mark: { kind: set_property, set: { version: one } }
"#;
    let v2 = v1.replace("version: one", "version: two");
    let db = sled::Config::new().temporary(true).open().unwrap();
    let state = || EngineState::new(Box::new(SledKv::open(&db).unwrap()));
    let access = customers(2);
    let (first, _) = engine_with(v1, access.clone(), state());
    first.register(at("2026-11-30T00:00:00Z")).unwrap();
    first.tick(at("2026-12-01T00:00:00+01:00")).unwrap();
    drop(first);
    let (second, _) = engine_with(&v2, access.clone(), state());
    second
        .tick(at("2026-12-01T00:00:00+01:00") + Duration::hours(2))
        .unwrap();
    assert_eq!(
        access.customer(1).unwrap().unwrap().properties.to_map()["version"],
        json!("one")
    );
    let runs = second.state().runs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_ne!(runs[0].version, second.scenarios()[0].version());
}

#[test]
fn expressions_cap_templates_and_wait_templates_work_per_customer() {
    let yaml = r#"
name: templated
nodes:
  daily: { kind: repeat, at: "00:00", start: "2026-12-01", end: "2026-12-02", next: high }
  high: { kind: condition, if: { expr: "customer.score > 10 and day >= 1" }, yes: cap }
  cap: { kind: limit, cap: "{{ day * 2 }}", priority: [ { lowest: score } ], passed: later }
  later: { kind: wait, template: "{{ 3 * day }}h", next: mail }
  mail: { kind: email, template: "welcome" }
"#;
    let (engine, actions) = engine(yaml, customers(20));
    engine.register(at("2026-11-30T00:00:00Z")).unwrap();
    engine.tick(at("2026-12-01T00:00:00+01:00")).unwrap();
    engine.tick(at("2026-12-01T03:00:00+01:00")).unwrap();
    engine.tick(at("2026-12-02T00:00:00+01:00")).unwrap();
    engine.tick(at("2026-12-02T05:59:00+01:00")).unwrap();
    let day2_early = actions.emails().iter().filter(|e| e.day == 2).count();
    engine.tick(at("2026-12-02T06:00:00+01:00")).unwrap();
    let emails = actions.emails();
    let day = |d: u32| -> Vec<u64> {
        let mut ids: Vec<u64> = emails
            .iter()
            .filter(|e| e.day == d)
            .map(|e| e.customer)
            .collect();
        ids.sort_unstable();
        ids
    };
    // Scores above 10, lowest first; cap 2 on day 1, 4 on day 2; wait 3 h, then 6 h.
    assert_eq!(day(1), [11, 12]);
    assert_eq!(day2_early, 0);
    assert_eq!(day(2), [11, 12, 13, 14]);
}
