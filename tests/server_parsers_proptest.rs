//! The ingest JSON parser and the unsubscribe-token parser never panic, whatever they are
//! given: a refusal is a 400 naming the field at fault, an accepted record is usable, and
//! only an untouched token verifies. Bounded: a few hundred cases each.

use chrono::Utc;
use proptest::prelude::*;
use serde_json::{Map, Value};
use warmup::actions::unsubscribe_token::{self, Claims};
use warmup::project::Secret;
use warmup::server::payload::{self, Rules};

const KEYS: &[&str] = &[
    "email",
    "klaviyo_id",
    "cookie",
    "type",
    "timestamp",
    "properties",
    "tags",
    "customers",
    "events",
    "action",
    "category",
    "valid_until",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(Value::from("ada@example.com")),
        Just(Value::from("consent")),
        Just(Value::from("reject")),
        Just(Value::from("newsletter")),
        Just(Value::from("2026-12-01T09:00:00Z")),
        Just(Value::from("+275760-09-13T00:00:00Z")),
        "\\PC{0,16}".prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[a-z_]{0,8}",
    ]
}

/// JSON shaped like ingest bodies: objects with the API's keys, arrays, and anything.
fn body() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn rules() -> Rules {
    Rules {
        categories: ["newsletter".to_owned()].into_iter().collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn ingest_bodies_are_accepted_whole_or_refused_with_a_field(body in body()) {
        match payload::customers(&body) {
            Ok(records) => {
                prop_assert!(!records.is_empty());
                for record in records {
                    prop_assert!(
                        record.email.is_some() || record.klaviyo_id.is_some() || record.cookie.is_some()
                    );
                }
            }
            Err(error) => {
                prop_assert_eq!(error.status().as_u16(), 400);
                prop_assert!(error.field().is_some(), "{}", error);
            }
        }
        match payload::events(&body, &rules(), Utc::now()) {
            Ok(items) => prop_assert!(!items.is_empty()),
            Err(error) => {
                prop_assert_eq!(error.status().as_u16(), 400);
                prop_assert!(error.field().is_some(), "{}", error);
            }
        }
    }

    #[test]
    fn any_string_is_a_token_or_refused_without_panicking(token in "\\PC{0,120}") {
        let key = Secret::new("proptest-key");
        prop_assert!(unsubscribe_token::verify(&key, &token).is_err());
    }

    #[test]
    fn signed_claims_round_trip_and_any_change_is_refused(
        customer in "\\PC{0,24}",
        category in "\\PC{0,16}",
        issued_at in any::<i64>(),
        position in any::<prop::sample::Index>(),
        replacement in any::<char>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let key = Secret::new("proptest-key");
        let claims = Claims { customer, category, issued_at };
        let token = unsubscribe_token::sign_claims(&key, &claims);
        prop_assert_eq!(unsubscribe_token::verify(&key, &token).unwrap(), claims);

        let mut chars: Vec<char> = token.chars().collect();
        let at = position.index(chars.len());
        chars[at] = replacement;
        let altered: String = chars.into_iter().collect();
        if altered != token {
            prop_assert!(unsubscribe_token::verify(&key, &altered).is_err(), "{}", altered);
        }
        let truncated = &token[..cut.index(token.len())];
        prop_assert!(unsubscribe_token::verify(&key, truncated).is_err());
        prop_assert!(unsubscribe_token::verify(&Secret::new("another-key"), &token).is_err());
    }
}
