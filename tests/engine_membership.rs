//! `klaviyo_list` / `klaviyo_segment` read the memberships the Klaviyo sync keeps on each
//! customer: in a condition (with the list id from `params`) and in a limit's priority.

mod support;

use std::path::Path;
use std::sync::Arc;

use support::memory_engine::{at, engine, project};

use serde_json::json;
use warmup::engine::{CustomerView, MemoryCustomers};
use warmup::scenario::compile_str;

/// Ten gmail customers; ids 2, 5 and 9 are on list `XyZ123` (5 also on `Other1`), ids 3 and
/// 8 in segment `Eng90D`; id 7 carries the list id as a plain string (as an import writes it).
fn customers() -> Arc<MemoryCustomers> {
    let customers = MemoryCustomers::new();
    for id in 1..=10u64 {
        let mut properties = serde_json::Map::new();
        properties.insert("score".into(), json!(id));
        match id {
            2 | 9 => _ = properties.insert("klaviyo_lists".into(), json!(["XyZ123"])),
            5 => _ = properties.insert("klaviyo_lists".into(), json!(["Other1", "XyZ123"])),
            7 => _ = properties.insert("klaviyo_lists".into(), json!("Other1")),
            3 | 8 => _ = properties.insert("klaviyo_segments".into(), json!(["Eng90D"])),
            _ => {}
        }
        customers.insert(CustomerView {
            id,
            email: Some(format!("c{id}@gmail.com")),
            properties: properties.into(),
            ..CustomerView::default()
        });
    }
    Arc::new(customers)
}

fn sent_by(yaml: &str) -> Vec<u64> {
    let (engine, actions) = engine(yaml, customers());
    engine.register(at("2026-11-30T00:00:00Z")).unwrap();
    engine.tick(at("2026-12-01T00:00:00+01:00")).unwrap();
    let mut sent: Vec<u64> = actions.emails().iter().map(|e| e.customer).collect();
    sent.sort_unstable();
    sent
}

#[test]
fn a_condition_reads_list_membership_with_the_id_from_params() {
    let yaml = r#"
name: t
params: { exclusion_list_id: XyZ123 }
nodes:
  start: { kind: on_date, at: "2026-12-01T00:00", next: member }
  member:
    kind: condition
    if: { klaviyo_list: "{{ params.exclusion_list_id }}" }
    yes: mail
  mail: { kind: email, template: welcome }
"#;
    assert_eq!(sent_by(yaml), [2, 5, 9]);
}

#[test]
fn a_negated_segment_condition_keeps_the_others() {
    let yaml = r#"
name: t
nodes:
  start: { kind: on_date, at: "2026-12-01T00:00", next: member }
  member: { kind: condition, if: { not: { klaviyo_segment: Eng90D } }, yes: mail }
  mail: { kind: email, template: welcome }
"#;
    assert_eq!(sent_by(yaml), [1, 2, 4, 5, 6, 7, 9, 10]);
}

#[test]
fn a_priority_rule_serves_members_first() {
    // Without the rule the five highest scores (6..=10) would pass; the list's members come
    // first whatever their score, then the segment's, then the rest by score.
    let yaml = r#"
name: t
nodes:
  start: { kind: on_date, at: "2026-12-01T00:00", next: cap }
  cap:
    kind: limit
    group_by: mailbox_provider
    caps: { gmail: 5, default: 0 }
    priority:
      - matching: { klaviyo_list: XyZ123 }
      - matching: { klaviyo_segment: Eng90D }
      - highest: score
    passed: mail
  mail: { kind: email, template: welcome }
"#;
    assert_eq!(sent_by(yaml), [2, 3, 5, 8, 9]);
}

#[test]
fn a_malformed_group_id_is_a_field_error() {
    let yaml = r#"
name: t
nodes:
  start: { kind: on_date, at: "2026-12-01T00:00", next: member }
  member: { kind: condition, if: { klaviyo_list: "Xy Z" }, yes: mail }
  mail: { kind: email, template: welcome }
"#;
    let Err(error) = compile_str(yaml, Path::new("t.yaml"), &project()) else {
        panic!("a malformed list id compiled");
    };
    let error = error.to_string();
    assert!(error.contains("W0004"), "{error}");
    assert!(error.contains("klaviyo_list"), "{error}");
    assert!(error.contains("t.yaml:5"), "{error}");
}
