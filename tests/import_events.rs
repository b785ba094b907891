//! `warmup import events`: JSON Lines into the store.

use std::path::Path;

use assert_cmd::Command;
use chrono::{TimeZone, Utc};
use warmup::import::{import_events_from, EventImportOptions};
use warmup::store::{EventQuery, Store};

const EVENTS: &str = r#"{"email": "Jane@Example.com", "type": "consent", "timestamp": "2026-11-01T10:00:00Z", "properties": {"action": "accept", "category": "newsletter"}}
{"email": "jane@example.com", "type": "campaign", "timestamp": "2026-11-02 09:00:00", "properties": {"action": "delivered", "template": "day-1"}}

{"klaviyo_id": "01NEW", "type": "purchase", "timestamp": "2026-11-03T10:00:00+01:00", "customer_properties": {"first_name": "Neo"}}
{"email": "jane@example.com", "type": "consent", "timestamp": "2026-11-04T10:00:00Z", "properties": {"action": "reject", "category": "newsletter"}}
{"email": "jane@example.com", "type": "campaign"
{"email": "jane@example.com", "type": "campaign", "timestamp": "soon"}
{"type": "campaign", "timestamp": "2026-11-02T00:00:00Z"}
{"email": "nope", "type": "campaign", "timestamp": "2026-11-02T00:00:00Z"}
{"email": "jane@example.com", "type": "consent", "timestamp": "2026-11-05T00:00:00Z", "properties": {"action": "accept"}}
{"email": "jane@example.com", "type": "campaign", "timestamp": "2026-11-02T00:00:00Z", "extra": 1}
"#;

#[test]
fn good_lines_are_recorded_and_consent_events_update_consent() {
    let store = Store::temporary().unwrap();
    let summary = import_events_from(
        &store,
        EVENTS.as_bytes(),
        Path::new("events.jsonl"),
        &EventImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!((summary.rows, summary.events, summary.rejected), (10, 4, 6));
    assert_eq!(summary.created, 2);
    let jane = store.find_by_email("jane@example.com").unwrap().unwrap();
    // The accept of line 1 was overturned by the reject of line 5.
    let state = store.consent_state(jane.id, "newsletter").unwrap().unwrap();
    assert_eq!(
        state.at,
        Utc.with_ymd_and_hms(2026, 11, 4, 10, 0, 0).unwrap()
    );
    let later = Utc.with_ymd_and_hms(2026, 11, 6, 0, 0, 0).unwrap();
    assert!(!store.consent_valid(jane.id, "newsletter", later).unwrap());
    let delivered = EventQuery::of_type("campaign").with("action", "delivered");
    assert_eq!(store.count_events(jane.id, &delivered).unwrap(), 1);
    let neo = store.find_by_klaviyo_id("01NEW").unwrap().unwrap();
    assert_eq!(neo.properties["first_name"], "Neo");
    let purchase: Vec<_> = store.customer_events(neo.id).map(Result::unwrap).collect();
    assert_eq!(
        purchase[0].timestamp,
        Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0).unwrap()
    );
}

#[test]
fn bad_lines_are_reported_with_their_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("warmup.yaml"), "timezone: UTC\n").unwrap();
    std::fs::write(dir.path().join("events.jsonl"), EVENTS).unwrap();
    let output = Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(dir.path())
        .args(["import", "events", "events.jsonl"])
        .output()
        .unwrap();
    // Lines were rejected: the documented exit code 4, after importing the rest.
    assert_eq!(output.status.code(), Some(4));
    insta::assert_snapshot!("events_summary", String::from_utf8_lossy(&output.stdout));
    insta::assert_snapshot!(
        "events_rejects_report",
        String::from_utf8_lossy(&output.stderr)
    );
    let rejects = std::fs::read_to_string(dir.path().join("events.rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 7, "{rejects}");
    assert!(rejects.starts_with("line,reason,json\n6,"), "{rejects}");
}
