//! The CSV and JSON Lines importers never panic, whatever the input, and account for
//! every row.

use std::path::Path;

use proptest::prelude::*;
use warmup::import::{
    import_customers_from, import_events_from, CustomerImportOptions, EventImportOptions,
};
use warmup::store::Store;

const HEADERS: &str = "Email,Klaviyo ID,Email Marketing Consent,Email Marketing Consent Timestamp,Last Open,Average Order Value,Notes\n";

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("a@b.co".to_owned()),
        Just("SUBSCRIBED".to_owned()),
        Just("UNSUBSCRIBED".to_owned()),
        Just("2026-01-01 10:00:00".to_owned()),
        Just("\"quoted, \"\"cell\"\"\"".to_owned()),
        "[a-z@. ]{0,12}",
        "\\PC{0,8}",
        any::<u32>().prop_map(|n| n.to_string()),
    ]
}

fn csv_body() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::collection::vec(cell(), 0..9), 0..12).prop_map(|rows| {
        let mut text = HEADERS.to_owned();
        for row in rows {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        text
    })
}

fn options() -> CustomerImportOptions {
    CustomerImportOptions {
        consent_category: Some("newsletter".into()),
        tag: Some("t".into()),
        ..CustomerImportOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn csv_import_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let store = Store::temporary().unwrap();
        let _ = import_customers_from(&store, bytes.as_slice(), Path::new("x.csv"), &options(), &mut |_| {});
    }

    #[test]
    fn csv_import_accounts_for_every_row(body in csv_body()) {
        let store = Store::temporary().unwrap();
        let summary = import_customers_from(&store, body.as_bytes(), Path::new("x.csv"), &options(), &mut |_| {}).unwrap();
        prop_assert_eq!(
            summary.rows,
            summary.created + summary.updated + summary.unchanged + summary.merged + summary.rejected
        );
        prop_assert!(store.count() as u64 <= summary.created);
    }

    #[test]
    fn event_import_never_panics(lines in prop::collection::vec("\\PC{0,60}", 0..10)) {
        let store = Store::temporary().unwrap();
        let text = lines.join("\n");
        let summary = import_events_from(&store, text.as_bytes(), Path::new("e.jsonl"), &EventImportOptions::default(), &mut |_| {}).unwrap();
        prop_assert_eq!(summary.rows, summary.events + summary.rejected);
    }
}
