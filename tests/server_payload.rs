//! Ingest body validation never panics and either yields records or names a field.

use chrono::Utc;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use warmup::server::payload::{self, Rules};

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z@. :0-9TZ-]{0,24}".prop_map(Value::String),
        Just(json!("a@b.co")),
        Just(json!("consent")),
        Just(json!("2026-12-01T09:00:00Z")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("email".to_owned()),
            Just("type".to_owned()),
            Just("timestamp".to_owned()),
            Just("properties".to_owned()),
            Just("events".to_owned()),
            Just("customers".to_owned()),
            Just("action".to_owned()),
            Just("category".to_owned()),
            Just("tags".to_owned()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn validation_never_panics_and_names_a_field(body in arbitrary_json()) {
        if let Err(error) = payload::customers(&body) {
            prop_assert_eq!(error.status().as_u16(), 400);
            prop_assert!(error.field().is_some_and(|f| !f.is_empty()));
        }
        match payload::events(&body, &Rules::default(), Utc::now()) {
            Ok(items) => prop_assert!(!items.is_empty()),
            Err(error) => {
                prop_assert_eq!(error.status().as_u16(), 400);
                prop_assert!(error.field().is_some_and(|f| !f.is_empty()));
            }
        }
    }
}

#[test]
fn batches_above_the_maximum_are_refused_by_name() {
    let events: Vec<Value> = (0..=payload::MAX_BATCH)
        .map(|_| json!({"email": "a@b.co", "type": "x"}))
        .collect();
    let error =
        payload::events(&json!({ "events": events }), &Rules::default(), Utc::now()).unwrap_err();
    assert_eq!(error.field(), Some("events"));
    assert_eq!(error.message(), "10001 items; a batch holds at most 10000");
}
