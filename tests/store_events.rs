//! Event history per customer, event queries and the global event log.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use warmup::store::{CustomerId, CustomerRecord, Event, EventQuery, Store};

fn customer(store: &Store, email: &str) -> CustomerId {
    let record = CustomerRecord {
        email: Some(email.into()),
        ..CustomerRecord::default()
    };
    store.upsert(&record).unwrap().customer()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
}

#[test]
fn history_is_in_time_order_whatever_the_recording_order() {
    let store = Store::temporary().unwrap();
    let id = customer(&store, "a@example.com");
    for hours in [5, 1, 3] {
        let event = Event::new("campaign", t0() + Duration::hours(hours)).with("n", hours);
        store.record_event(id, &event).unwrap();
    }
    let order: Vec<i64> = store
        .customer_events(id)
        .map(|e| e.unwrap().properties["n"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [1, 3, 5]);
}

#[test]
fn count_matches_type_properties_and_window() {
    let store = Store::temporary().unwrap();
    let id = customer(&store, "a@example.com");
    let other = customer(&store, "b@example.com");
    let sends = [
        (0, "delivered", "day-1"),
        (24, "delivered", "day-2"),
        (48, "failed", "day-3"),
        (72, "delivered", "day-4"),
    ];
    for (hours, action, template) in sends {
        let event = Event::new("campaign", t0() + Duration::hours(hours))
            .with("action", action)
            .with("template", template);
        store.record_event(id, &event).unwrap();
    }
    store
        .record_event(
            id,
            &Event::new("purchase", t0()).with("action", "delivered"),
        )
        .unwrap();
    store
        .record_event(
            other,
            &Event::new("campaign", t0()).with("action", "delivered"),
        )
        .unwrap();

    let delivered = EventQuery::of_type("campaign").with("action", "delivered");
    assert_eq!(store.count_events(id, &delivered).unwrap(), 3);
    assert_eq!(store.count_events(other, &delivered).unwrap(), 1);
    let any_of = EventQuery::of_type("campaign").with("action", json!(["failed", "delivered"]));
    assert_eq!(store.count_events(id, &any_of).unwrap(), 4);
    let window = delivered.clone().within(
        Some(t0() + Duration::hours(24)),
        Some(t0() + Duration::hours(72)),
    );
    assert_eq!(store.count_events(id, &window).unwrap(), 1);
    let template = EventQuery::of_type("campaign").with("template", "day-4");
    let found: Vec<Event> = store
        .find_events(id, &template)
        .map(Result::unwrap)
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].timestamp, t0() + Duration::hours(72));
    assert_eq!(
        store
            .count_events(id, &EventQuery::of_type("refund"))
            .unwrap(),
        0
    );
}

#[test]
fn the_event_log_is_tailed_with_a_cursor_in_recording_order() {
    let store = Store::temporary().unwrap();
    let a = customer(&store, "a@example.com");
    let b = customer(&store, "b@example.com");
    assert_eq!(store.next_event_seq(), 0);
    let first = store
        .record_event(a, &Event::new("x", t0() + Duration::hours(9)))
        .unwrap();
    let second = store.record_event(b, &Event::new("y", t0())).unwrap();
    assert_eq!((first, second), (0, 1));
    let all: Vec<(u64, CustomerId, String)> = store
        .events_since(0)
        .map(|e| e.unwrap())
        .map(|e| (e.seq, e.customer, e.event.event_type))
        .collect();
    assert_eq!(all, [(0, a, "x".to_owned()), (1, b, "y".to_owned())]);
    let cursor = store.next_event_seq();
    assert_eq!(store.events_since(cursor).count(), 0);
    store.record_event(a, &Event::new("z", t0())).unwrap();
    let new: Vec<String> = store
        .events_since(cursor)
        .map(|e| e.unwrap().event.event_type)
        .collect();
    assert_eq!(new, ["z"]);
}

#[test]
fn a_large_batch_is_recorded_completely_and_in_order() {
    // Large batches write histories in key order on two threads; what a reader sees must
    // not depend on that: the log in recording order, each history in time order.
    let store = Store::temporary().unwrap();
    let ids: Vec<CustomerId> = (0..10)
        .map(|n| customer(&store, &format!("c{n}@example.com")))
        .collect();
    let batch: Vec<(CustomerId, Event)> = (0..1000)
        .map(|n| {
            let at = t0() + Duration::seconds(1000 - n as i64);
            (ids[n % 10], Event::new("campaign", at).with("n", n))
        })
        .collect();
    assert_eq!(store.record_events(&batch).unwrap(), 0..1000);
    let logged: Vec<(u64, i64)> = store
        .events_since(0)
        .map(|e| e.unwrap())
        .map(|e| (e.seq, e.event.properties["n"].as_i64().unwrap()))
        .collect();
    assert_eq!(logged, (0..1000).map(|n| (n, n as i64)).collect::<Vec<_>>());
    let history: Vec<i64> = store
        .customer_events(ids[3])
        .map(|e| e.unwrap().properties["n"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = (0..100).rev().map(|k| k * 10 + 3).collect();
    assert_eq!(history, expected);
}

#[test]
fn a_batch_with_one_invalid_event_records_nothing() {
    let store = Store::temporary().unwrap();
    let id = customer(&store, "a@example.com");
    let batch = vec![
        (id, Event::new("campaign", t0())),
        (id, Event::new("consent", t0()).with("action", "accept")),
    ];
    assert!(store.record_events(&batch).is_err());
    assert_eq!(store.customer_events(id).count(), 0);
    assert_eq!(store.next_event_seq(), 0);
}

#[test]
fn events_for_an_unknown_customer_are_refused() {
    let store = Store::temporary().unwrap();
    let error = store
        .record_event(CustomerId(99), &Event::new("x", t0()))
        .unwrap_err();
    assert_eq!(error.to_string(), "no customer with id 99");
}

#[test]
fn the_store_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let store = std::sync::Arc::new(Store::temporary().unwrap());
    shareable(&store);
    let a = customer(&store, "a@example.com");
    std::thread::scope(|scope| {
        for n in 0..4 {
            let store = &store;
            scope.spawn(move || {
                for m in 0..50 {
                    let at = t0() + Duration::seconds(n * 100 + m);
                    store.record_event(a, &Event::new("tick", at)).unwrap();
                }
            });
        }
    });
    let seqs: Vec<u64> = store.events_since(0).map(|e| e.unwrap().seq).collect();
    assert_eq!(seqs, (0..200).collect::<Vec<_>>());
    assert_eq!(store.customer_events(a).count(), 200);
}
