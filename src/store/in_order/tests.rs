use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::store::{CustomerRecord, Event};

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, 9, 0, 0).unwrap()
}

fn add(store: &Store, email: &str, klaviyo_id: Option<&str>) -> CustomerId {
    let record = CustomerRecord {
        email: Some(email.into()),
        klaviyo_id: klaviyo_id.map(Into::into),
        ..CustomerRecord::default()
    };
    store.upsert(&record).unwrap().customer()
}

fn consent(store: &Store, id: CustomerId, action: &str, day: u32) {
    let event = Event::new("consent", at(day))
        .with("action", action)
        .with("category", "newsletter");
    store.record_event(id, &event).unwrap();
}

fn delivered(store: &Store, id: CustomerId, day: u32) {
    let event = Event::new("campaign", at(day)).with("action", "delivered");
    store.record_event(id, &event).unwrap();
}

fn valid(store: &Store, id: CustomerId) -> bool {
    store
        .consent_state_in_order(id, "newsletter")
        .unwrap()
        .is_some_and(|state| state.valid_at(at(20)))
}

fn sends(store: &Store, id: CustomerId) -> u64 {
    let query = EventQuery::of_type("campaign").with("action", "delivered");
    store.count_events_in_order(id, &query, u64::MAX).unwrap()
}

/// Twelve customers: even ones consented, every third one has `id % 4` sends.
fn store() -> (Store, Vec<CustomerId>) {
    let store = Store::temporary().unwrap();
    let ids: Vec<CustomerId> = (0..12)
        .map(|n| add(&store, &format!("c{n}@example.com"), None))
        .collect();
    for (n, id) in ids.iter().enumerate() {
        if n % 2 == 0 {
            consent(&store, *id, "accept", 1);
        }
        if n % 3 == 0 {
            for day in 0..(n % 4) as u32 {
                delivered(&store, *id, 2 + day);
            }
        }
    }
    (store, ids)
}

#[test]
fn answers_what_direct_reads_answer_in_any_order() {
    let (store, ids) = store();
    let mut orders = vec![ids.clone(), ids.iter().rev().copied().collect()];
    orders.push(ids.iter().step_by(5).chain(ids.iter()).copied().collect());
    for order in orders {
        for id in order {
            let direct = store
                .consent_state(id, "newsletter")
                .unwrap()
                .is_some_and(|state| state.valid_at(at(20)));
            assert_eq!(valid(&store, id), direct, "consent of {id:?}");
            let query = EventQuery::of_type("campaign").with("action", "delivered");
            assert_eq!(sends(&store, id), store.count_events(id, &query).unwrap());
        }
    }
    assert_eq!(sends(&store, ids[9]), 1);
    assert_eq!(sends(&store, ids[3]), 3);
}

#[test]
fn sees_writes_made_after_the_cursor_passed_the_customer() {
    let (store, ids) = store();
    // The cursors now stand just past c0, their next entries those of c2 and c3.
    assert!(valid(&store, ids[0]));
    assert_eq!(sends(&store, ids[0]), 0);
    consent(&store, ids[2], "reject", 5);
    delivered(&store, ids[3], 9);
    assert!(!valid(&store, ids[2]));
    assert_eq!(sends(&store, ids[3]), 4);
    consent(&store, ids[0], "reject", 5);
    assert!(!valid(&store, ids[0]));
}

#[test]
fn an_absorbed_id_reads_the_survivors_consent_and_history() {
    let (store, ids) = store();
    let klaviyo = add(&store, "k@example.com", Some("01KLAVIYO"));
    consent(&store, klaviyo, "accept", 1);
    delivered(&store, klaviyo, 3);
    for id in &ids {
        valid(&store, *id);
    }
    // c1 (no consent, no sends) turns out to be the Klaviyo profile: the newer id is absorbed.
    let survivor = add(&store, "c1@example.com", Some("01KLAVIYO"));
    assert_eq!(survivor, ids[1]);
    assert!(valid(&store, klaviyo));
    assert!(valid(&store, ids[1]));
    assert_eq!(sends(&store, klaviyo), 1);
    assert_eq!(sends(&store, ids[1]), 1);
}

#[test]
fn counts_stop_at_the_limit_and_keep_to_the_window() {
    let (store, ids) = store();
    let query = EventQuery::of_type("campaign").with("action", "delivered");
    assert_eq!(store.count_events_in_order(ids[3], &query, 2).unwrap(), 2);
    let window = query.within(Some(at(3)), Some(at(4)));
    assert_eq!(store.count_events_in_order(ids[3], &window, 9).unwrap(), 1);
    let other = EventQuery::of_type("campaign").with("action", "bounced");
    assert_eq!(store.count_events_in_order(ids[3], &other, 9).unwrap(), 0);
}

#[test]
fn direct_counts_stop_at_the_same_limit() {
    let (store, ids) = store();
    let query = EventQuery::of_type("campaign").with("action", "delivered");
    let all = store.count_events(ids[3], &query).unwrap();
    assert!(
        all > 2,
        "the fixture gives this customer more than two sends"
    );
    assert_eq!(store.count_events_up_to(ids[3], &query, 2).unwrap(), 2);
    assert_eq!(store.count_events_up_to(ids[3], &query, 0).unwrap(), 0);
    assert_eq!(
        store.count_events_up_to(ids[3], &query, u64::MAX).unwrap(),
        all
    );
}
