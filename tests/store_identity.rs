//! Identifier normalisation and the merge rule of the customer store.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Map, Value};
use warmup::store::{CustomerId, CustomerRecord, Event, EventQuery, Store, UpsertOutcome};

fn props(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn record(email: Option<&str>, klaviyo: Option<&str>, cookie: Option<&str>) -> CustomerRecord {
    CustomerRecord {
        email: email.map(str::to_owned),
        klaviyo_id: klaviyo.map(str::to_owned),
        cookie: cookie.map(str::to_owned),
        ..CustomerRecord::default()
    }
}

#[test]
fn emails_are_normalised_so_case_and_spaces_find_the_same_customer() {
    let store = Store::temporary().unwrap();
    let first = store
        .upsert(&record(Some("  Jane@GMAIL.com "), None, None))
        .unwrap();
    let again = store
        .upsert(&record(Some("jane@gmail.com"), None, None))
        .unwrap();
    assert!(matches!(first, UpsertOutcome::Created(_)));
    assert_eq!(again, UpsertOutcome::Unchanged(first.customer()));
    let found = store.find_by_email("JANE@gmail.com ").unwrap().unwrap();
    assert_eq!(found.email_id.as_deref(), Some("jane@gmail.com"));
    assert_eq!(found.properties["email"], json!("jane@gmail.com"));
    assert_eq!(store.count(), 1);
}

#[test]
fn a_record_without_identifiers_or_with_a_bad_email_is_refused() {
    let store = Store::temporary().unwrap();
    let error = store.upsert(&CustomerRecord::default()).unwrap_err();
    assert!(
        error.to_string().contains("at least one of email"),
        "{error}"
    );
    let error = store
        .upsert(&record(Some("nobody"), None, None))
        .unwrap_err();
    assert_eq!(error.to_string(), "invalid email: `nobody` has no `@`");
    assert_eq!(store.count(), 0);
}

#[test]
fn hard_ids_that_point_to_two_customers_merge_them_into_the_oldest() {
    let store = Store::temporary().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut by_email = record(Some("jane@example.com"), None, None);
    by_email.properties = props(json!({"first_name": "Jane", "city": "Prague"}));
    let a = store.upsert_at(&by_email, t0).unwrap().customer();
    let mut by_klaviyo = record(None, Some("01KLAV"), Some("cookie-b"));
    by_klaviyo.properties = props(json!({"city": "Berlin", "vip": true}));
    let b = store
        .upsert_at(&by_klaviyo, t0 + Duration::days(1))
        .unwrap()
        .customer();
    assert!(a < b);
    store
        .record_event(a, &Event::new("campaign", t0).with("action", "delivered"))
        .unwrap();
    store
        .record_event(
            b,
            &Event::new("campaign", t0 + Duration::hours(1)).with("action", "opened"),
        )
        .unwrap();
    store
        .record_event(
            b,
            &Event::new("consent", t0)
                .with("action", "accept")
                .with("category", "newsletter"),
        )
        .unwrap();

    let both = record(Some("jane@example.com"), Some("01KLAV"), None);
    let outcome = store.upsert_at(&both, t0 + Duration::days(2)).unwrap();
    assert_eq!(
        outcome,
        UpsertOutcome::Merged {
            survivor: a,
            absorbed: vec![b]
        }
    );
    assert_eq!(store.count(), 1);
    let merged = store.customer(a).unwrap().unwrap();
    assert_eq!(merged.email_id.as_deref(), Some("jane@example.com"));
    assert_eq!(merged.klaviyo_id.as_deref(), Some("01KLAV"));
    assert_eq!(merged.cookies, ["cookie-b"]);
    // The more recently updated customer (b) wins conflicts; the rest is combined.
    assert_eq!(merged.properties["city"], json!("Berlin"));
    assert_eq!(merged.properties["first_name"], json!("Jane"));
    assert_eq!(merged.properties["vip"], json!(true));
    assert_eq!(merged.created, t0);
    // Events of both, in time order, now belong to the survivor.
    let types: Vec<String> = store
        .customer_events(a)
        .map(|e| e.unwrap().properties["action"].to_string())
        .collect();
    assert_eq!(types, ["\"delivered\"", "\"accept\"", "\"opened\""]);
    // Reading the absorbed id reads the survivor's history.
    assert_eq!(store.customer_events(b).count(), 3);
    assert!(store.consent_valid(a, "newsletter", t0).unwrap());
    // The absorbed id and all its identifiers resolve to the survivor.
    assert_eq!(store.resolve(b).unwrap(), Some(a));
    assert_eq!(store.customer(b).unwrap().unwrap().id, a);
    assert_eq!(store.find_by_cookie("cookie-b").unwrap().unwrap().id, a);
    assert_eq!(store.find_by_klaviyo_id("01KLAV").unwrap().unwrap().id, a);
    assert_eq!(
        store
            .count_events(b, &EventQuery::of_type("campaign"))
            .unwrap(),
        2
    );
}

#[test]
fn a_cookie_never_merges_customers_with_different_hard_ids() {
    let store = Store::temporary().unwrap();
    let jane = store
        .upsert(&record(
            Some("jane@example.com"),
            None,
            Some("shared-browser"),
        ))
        .unwrap()
        .customer();
    let outcome = store
        .upsert(&record(
            Some("john@example.com"),
            None,
            Some("shared-browser"),
        ))
        .unwrap();
    let UpsertOutcome::Created(john) = outcome else {
        panic!("expected a new customer, got {outcome:?}");
    };
    assert_ne!(jane, john);
    assert_eq!(store.count(), 2);
    // The browser now belongs to John; Jane keeps her identity.
    assert_eq!(
        store.find_by_cookie("shared-browser").unwrap().unwrap().id,
        john
    );
    assert_eq!(
        store.find_by_email("jane@example.com").unwrap().unwrap().id,
        jane
    );
}

#[test]
fn an_anonymous_cookie_customer_merges_into_the_identified_one() {
    let store = Store::temporary().unwrap();
    let known = store
        .upsert(&record(Some("jane@example.com"), None, None))
        .unwrap()
        .customer();
    let anonymous = store
        .upsert(&record(None, None, Some("c-1")))
        .unwrap()
        .customer();
    store
        .record_event(anonymous, &Event::new("page_view", Utc::now()))
        .unwrap();
    let outcome = store
        .upsert(&record(Some("jane@example.com"), None, Some("c-1")))
        .unwrap();
    assert_eq!(
        outcome,
        UpsertOutcome::Merged {
            survivor: known,
            absorbed: vec![anonymous]
        }
    );
    assert_eq!(store.count(), 1);
    assert_eq!(store.customer_events(known).count(), 1);
}

#[test]
fn an_anonymous_cookie_customer_becomes_identified_when_its_hard_id_is_new() {
    let store = Store::temporary().unwrap();
    let anonymous = store
        .upsert(&record(None, None, Some("c-9")))
        .unwrap()
        .customer();
    let outcome = store
        .upsert(&record(Some("new@example.com"), None, Some("c-9")))
        .unwrap();
    assert_eq!(outcome, UpsertOutcome::Updated(anonymous));
    assert_eq!(
        store.find_by_email("new@example.com").unwrap().unwrap().id,
        anonymous
    );
}

#[test]
fn a_changed_email_replaces_the_old_one() {
    let store = Store::temporary().unwrap();
    let id = store
        .upsert(&record(Some("old@example.com"), Some("01K"), None))
        .unwrap()
        .customer();
    let outcome = store
        .upsert(&record(Some("new@example.com"), Some("01K"), None))
        .unwrap();
    assert_eq!(outcome, UpsertOutcome::Updated(id));
    assert!(store.find_by_email("old@example.com").unwrap().is_none());
    let customer = store.find_by_email("new@example.com").unwrap().unwrap();
    assert_eq!(customer.id, id);
    assert_eq!(customer.properties["email"], json!("new@example.com"));
}

#[test]
fn null_removes_a_property_and_tags_accumulate_without_duplicates() {
    let store = Store::temporary().unwrap();
    let mut first = record(Some("t@example.com"), None, None);
    first.properties = props(json!({"a": 1, "b": 2}));
    first.tags = vec!["engaged-90".into()];
    let id = store.upsert(&first).unwrap().customer();
    let mut second = record(Some("t@example.com"), None, None);
    second.properties = props(json!({"a": null}));
    second.tags = vec!["engaged-90".into(), "vip".into()];
    assert_eq!(store.upsert(&second).unwrap(), UpsertOutcome::Updated(id));
    let customer = store.customer(id).unwrap().unwrap();
    assert!(!customer.properties.contains_key("a"));
    assert_eq!(customer.properties["tags"], json!(["engaged-90", "vip"]));
}

#[test]
fn customers_stream_in_id_order_and_any_identifier_finds_them() {
    let store = Store::temporary().unwrap();
    let ids: Vec<CustomerId> = (0..50)
        .map(|n| {
            store
                .upsert(&record(
                    Some(&format!("c{n}@example.com")),
                    Some(&format!("K{n}")),
                    None,
                ))
                .unwrap()
                .customer()
        })
        .collect();
    let streamed: Vec<CustomerId> = store.customers().map(|c| c.unwrap().id).collect();
    assert_eq!(streamed, ids);
    assert_eq!(store.find_by_any("K7").unwrap().unwrap().id, ids[7]);
    assert_eq!(
        store.find_by_any("C7@example.com").unwrap().unwrap().id,
        ids[7]
    );
    let hash = format!("#{}", ids[3]);
    assert_eq!(store.find_by_any(&hash).unwrap().unwrap().id, ids[3]);
    assert!(store.find_by_any("nobody").unwrap().is_none());
}
