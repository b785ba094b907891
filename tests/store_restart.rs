//! Data survives closing and reopening the store.

use chrono::{TimeZone, Utc};
use serde_json::json;
use warmup::store::{CustomerRecord, Event, EventQuery, Store};

#[test]
fn customers_events_consent_and_sequences_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let (first_id, merged_away) = {
        let store = Store::open(&path).unwrap();
        let mut record = CustomerRecord {
            email: Some("jane@example.com".into()),
            ..CustomerRecord::default()
        };
        record.properties.insert("first_name".into(), json!("Jane"));
        let id = store.upsert(&record).unwrap().customer();
        let other = store
            .upsert(&CustomerRecord {
                klaviyo_id: Some("01K".into()),
                ..CustomerRecord::default()
            })
            .unwrap()
            .customer();
        store
            .upsert(&CustomerRecord {
                email: Some("jane@example.com".into()),
                klaviyo_id: Some("01K".into()),
                ..CustomerRecord::default()
            })
            .unwrap();
        let consent = Event::new("consent", at)
            .with("action", "accept")
            .with("category", "newsletter");
        store.record_event(id, &consent).unwrap();
        store.record_event(id, &Event::new("campaign", at)).unwrap();
        store.flush().unwrap();
        (id, other)
    };

    let store = Store::open(&path).unwrap();
    let customer = store.find_by_klaviyo_id("01K").unwrap().unwrap();
    assert_eq!(customer.id, first_id);
    assert_eq!(customer.properties["first_name"], json!("Jane"));
    assert_eq!(store.resolve(merged_away).unwrap(), Some(first_id));
    assert!(store.consent_valid(first_id, "newsletter", at).unwrap());
    assert_eq!(
        store
            .count_events(first_id, &EventQuery::of_type("campaign"))
            .unwrap(),
        1
    );
    assert_eq!(store.count(), 1);
    // The log continues where it stopped, and customer ids are never reused.
    assert_eq!(store.next_event_seq(), 2);
    assert_eq!(
        store.record_event(first_id, &Event::new("x", at)).unwrap(),
        2
    );
    let new = store
        .upsert(&CustomerRecord {
            email: Some("new@example.com".into()),
            ..CustomerRecord::default()
        })
        .unwrap()
        .customer();
    assert!(new > merged_away, "{new} reuses an id");
}

#[test]
fn other_modules_get_their_own_trees() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let store = Store::open(&path).unwrap();
        store
            .tree("engine/runs")
            .unwrap()
            .insert(b"k", b"v")
            .unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(&path).unwrap();
    let value = store.tree("engine/runs").unwrap().get(b"k").unwrap();
    assert_eq!(value.as_deref(), Some(&b"v"[..]));
    assert_eq!(store.count(), 0);
}

#[test]
fn a_batch_log_resumes_after_a_restart_and_is_tailed_from_inside_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let batch = |id, from: usize| -> Vec<_> {
        (from..from + 700)
            .map(|n| (id, Event::new("campaign", at).with("n", n as u64)))
            .collect()
    };
    {
        let store = Store::open(&path).unwrap();
        let id = store
            .upsert(&CustomerRecord {
                email: Some("jane@example.com".into()),
                ..CustomerRecord::default()
            })
            .unwrap()
            .customer();
        assert_eq!(store.record_events(&batch(id, 0)).unwrap(), 0..700);
        store.flush().unwrap();
    }
    let store = Store::open(&path).unwrap();
    let id = store.find_by_email("jane@example.com").unwrap().unwrap().id;
    assert_eq!(store.next_event_seq(), 700);
    assert_eq!(store.record_events(&batch(id, 700)).unwrap(), 700..1400);
    // A cursor inside the first batch: exactly the events from it onwards, in order.
    let tail: Vec<(u64, serde_json::Value)> = store
        .events_since(333)
        .map(|logged| logged.unwrap())
        .map(|logged| (logged.seq, logged.event.properties["n"].clone()))
        .collect();
    assert_eq!(tail.len(), 1400 - 333);
    assert!(tail.iter().all(|(seq, n)| n.as_u64() == Some(*seq)));
    assert_eq!(store.events_since(1400).count(), 0);
}
