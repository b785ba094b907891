//! Consent state derived from `consent` events.

use chrono::{DateTime, Duration, TimeZone, Utc};
use warmup::store::{ConsentAction, CustomerId, CustomerRecord, Event, Store};

fn setup() -> (Store, CustomerId, DateTime<Utc>) {
    let store = Store::temporary().unwrap();
    let record = CustomerRecord {
        email: Some("c@example.com".into()),
        ..CustomerRecord::default()
    };
    let id = store.upsert(&record).unwrap().customer();
    (
        store,
        id,
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
    )
}

fn consent(action: &str, at: DateTime<Utc>) -> Event {
    Event::new("consent", at)
        .with("action", action)
        .with("category", "newsletter")
}

#[test]
fn no_consent_event_means_no_consent() {
    let (store, id, t0) = setup();
    assert!(!store.consent_valid(id, "newsletter", t0).unwrap());
    assert_eq!(store.consent_state(id, "newsletter").unwrap(), None);
}

#[test]
fn accept_then_reject_withdraws_consent() {
    let (store, id, t0) = setup();
    store.record_event(id, &consent("accept", t0)).unwrap();
    assert!(store
        .consent_valid(id, "newsletter", t0 + Duration::hours(1))
        .unwrap());
    store
        .record_event(id, &consent("reject", t0 + Duration::days(1)))
        .unwrap();
    assert!(!store
        .consent_valid(id, "newsletter", t0 + Duration::days(2))
        .unwrap());
    let state = store.consent_state(id, "newsletter").unwrap().unwrap();
    assert_eq!(state.action, ConsentAction::Reject);
    assert_eq!(state.at, t0 + Duration::days(1));
}

#[test]
fn reject_then_accept_restores_consent() {
    let (store, id, t0) = setup();
    store.record_event(id, &consent("reject", t0)).unwrap();
    store
        .record_event(id, &consent("accept", t0 + Duration::days(1)))
        .unwrap();
    assert!(store
        .consent_valid(id, "newsletter", t0 + Duration::days(2))
        .unwrap());
}

#[test]
fn consent_expires_at_valid_until() {
    let (store, id, t0) = setup();
    let until = t0 + Duration::days(30);
    let event = consent("accept", t0).with("valid_until", until.to_rfc3339());
    store.record_event(id, &event).unwrap();
    assert!(store
        .consent_valid(id, "newsletter", until - Duration::seconds(1))
        .unwrap());
    assert!(!store.consent_valid(id, "newsletter", until).unwrap());
    assert!(!store
        .consent_valid(id, "newsletter", until + Duration::days(1))
        .unwrap());
}

#[test]
fn an_older_event_recorded_later_does_not_overturn_a_newer_decision() {
    let (store, id, t0) = setup();
    store
        .record_event(id, &consent("reject", t0 + Duration::days(5)))
        .unwrap();
    store.record_event(id, &consent("accept", t0)).unwrap();
    assert!(!store
        .consent_valid(id, "newsletter", t0 + Duration::days(6))
        .unwrap());
    // Both events are still in the history.
    assert_eq!(store.customer_events(id).count(), 2);
}

#[test]
fn categories_are_independent() {
    let (store, id, t0) = setup();
    store.record_event(id, &consent("accept", t0)).unwrap();
    let sms = Event::new("consent", t0)
        .with("action", "reject")
        .with("category", "sms");
    store.record_event(id, &sms).unwrap();
    assert!(store.consent_valid(id, "newsletter", t0).unwrap());
    assert!(!store.consent_valid(id, "sms", t0).unwrap());
    let categories: Vec<String> = store
        .consents(id)
        .unwrap()
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(categories, ["newsletter", "sms"]);
}

#[test]
fn malformed_consent_events_are_refused_and_change_nothing() {
    let (store, id, t0) = setup();
    let cases = [
        (
            Event::new("consent", t0).with("category", "newsletter"),
            "needs `action`",
        ),
        (consent("maybe", t0), "`accept` or `reject`, not `maybe`"),
        (
            Event::new("consent", t0).with("action", "accept"),
            "needs a `category`",
        ),
        (
            consent("accept", t0).with("valid_until", "next week"),
            "`next week` is not an RFC 3339",
        ),
    ];
    for (event, message) in cases {
        let error = store.record_event(id, &event).unwrap_err().to_string();
        assert!(error.contains(message), "{error}");
    }
    assert_eq!(store.customer_events(id).count(), 0);
    assert_eq!(store.next_event_seq(), 0);
}

#[test]
fn an_unsubscribe_wins_over_every_accept_received_before_it_whatever_its_date() {
    let (store, id, _) = setup();
    let now = Utc::now();
    store
        .record_event(id, &consent("accept", now + Duration::days(400)))
        .unwrap();
    store
        .record_event(id, &consent("reject", now - Duration::days(3)))
        .unwrap();
    let state = store.consent_state(id, "newsletter").unwrap().unwrap();
    assert_eq!(state.action, ConsentAction::Reject);
    assert!(!store
        .consent_valid(id, "newsletter", now + Duration::days(1))
        .unwrap());
}

#[test]
fn an_accept_dated_in_the_future_counts_as_made_when_it_was_received() {
    let (store, id, _) = setup();
    let now = Utc::now();
    // An unsubscribe dated in two days, received first; then an accept dated in a year.
    store
        .record_event(id, &consent("reject", now + Duration::days(2)))
        .unwrap();
    store
        .record_event(id, &consent("accept", now + Duration::days(365)))
        .unwrap();
    // Both count as made at their receipt, so the accept, received later, re-subscribes.
    let state = store.consent_state(id, "newsletter").unwrap().unwrap();
    assert_eq!(state.action, ConsentAction::Accept);
    assert!(state.received.is_some_and(|r| r >= now));
    // An accept dated before the stored unsubscribe's receipt does not.
    store
        .record_event(id, &consent("reject", now - Duration::days(1)))
        .unwrap();
    store
        .record_event(id, &consent("accept", now - Duration::days(2)))
        .unwrap();
    assert!(!store.consent_valid(id, "newsletter", now).unwrap());
}

#[test]
fn a_merge_keeps_the_most_recent_decision_with_future_dates_clamped() {
    let store = Store::temporary().unwrap();
    let now = Utc::now();
    let customer = |email: &str, klaviyo: &str| {
        let record = CustomerRecord {
            email: Some(email.into()),
            klaviyo_id: Some(klaviyo.into()),
            ..CustomerRecord::default()
        };
        store.upsert(&record).unwrap().customer()
    };
    let a = customer("a@example.com", "KA");
    let b = customer("b@example.com", "KB");
    // a accepted "next year" (received now); b unsubscribed after that receipt, dated so.
    store
        .record_event(a, &consent("accept", now + Duration::days(365)))
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    store
        .record_event(b, &consent("reject", Utc::now()))
        .unwrap();
    customer("b@example.com", "KA");
    let state = store.consent_state(a, "newsletter").unwrap().unwrap();
    assert_eq!(state.action, ConsentAction::Reject);
    assert_eq!(store.consent_state(b, "newsletter").unwrap(), Some(state));
}

#[test]
fn the_same_decision_again_changes_nothing() {
    let (store, id, t0) = setup();
    store.record_event(id, &consent("reject", t0)).unwrap();
    let first = store.consent_state(id, "newsletter").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    store.record_event(id, &consent("reject", t0)).unwrap();
    assert_eq!(store.consent_state(id, "newsletter").unwrap(), first);
}
