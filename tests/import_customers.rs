//! `warmup import customers`: Klaviyo CSV exports into the store.

use std::path::Path;

use assert_cmd::Command;
use serde_json::json;
use warmup::import::{import_customers_from, CustomerImportOptions, ImportSummary};
use warmup::store::{EventQuery, Store};

const GOOD: &str = "\
Email,Klaviyo ID,First Name,Last Name,Phone Number,Email Marketing Consent,Email Marketing Consent Timestamp,Last Open,Last Click,Profile Created On,Average Order Value,Shopify Tags
Jane.Doe@Gmail.com,01JANE,Jane,Doe,+420111,SUBSCRIBED,2026-01-05 10:00:00,2026-10-30 08:00:00,,2025-01-01 00:00:00,42.5,vip
john@outlook.com,01JOHN,John,Roe,,UNSUBSCRIBED,2026-02-01 09:00:00,,2026-09-01,2025-02-01,,
ann@icloud.com,,Ann,,,NEVER_SUBSCRIBED,,2026-10-01T12:00:00Z,,2025-03-01,7,
";

fn options() -> CustomerImportOptions {
    CustomerImportOptions {
        consent_category: Some("newsletter".into()),
        tag: Some("engaged-90".into()),
        ..CustomerImportOptions::default()
    }
}

fn import(store: &Store, csv: &str, options: &CustomerImportOptions) -> ImportSummary {
    import_customers_from(
        store,
        csv.as_bytes(),
        Path::new("export.csv"),
        options,
        &mut |_| {},
    )
    .unwrap()
}

#[test]
fn columns_become_properties_and_consent_becomes_events() {
    let store = Store::temporary().unwrap();
    let summary = import(&store, GOOD, &options());
    assert_eq!((summary.rows, summary.created, summary.rejected), (3, 3, 0));
    assert_eq!(summary.events, 2);
    let jane = store.find_by_email("jane.doe@gmail.com").unwrap().unwrap();
    assert_eq!(jane.klaviyo_id.as_deref(), Some("01JANE"));
    assert_eq!(jane.properties["email"], json!("jane.doe@gmail.com"));
    assert_eq!(jane.properties["first_name"], json!("Jane"));
    assert_eq!(jane.properties["phone_number"], json!("+420111"));
    assert_eq!(jane.properties["last_open"], json!("2026-10-30T08:00:00Z"));
    assert_eq!(jane.properties["average_order_value"], json!(42.5));
    assert_eq!(jane.properties["shopify_tags"], json!("vip"));
    assert_eq!(jane.properties["tags"], json!(["engaged-90"]));
    assert!(
        !jane.properties.contains_key("last_click"),
        "empty cells set nothing"
    );
    let at = chrono::Utc::now();
    assert!(store.consent_valid(jane.id, "newsletter", at).unwrap());
    let john = store.find_by_klaviyo_id("01JOHN").unwrap().unwrap();
    assert!(!store.consent_valid(john.id, "newsletter", at).unwrap());
    assert_eq!(john.properties["last_click"], json!("2026-09-01T00:00:00Z"));
    let ann = store.find_by_email("ann@icloud.com").unwrap().unwrap();
    assert_eq!(store.consent_state(ann.id, "newsletter").unwrap(), None);
}

#[test]
fn reimporting_the_same_file_changes_nothing_and_duplicates_nothing() {
    let store = Store::temporary().unwrap();
    import(&store, GOOD, &options());
    let log_length = store.next_event_seq();
    let again = import(&store, GOOD, &options());
    assert_eq!(
        (again.created, again.updated, again.unchanged, again.events),
        (0, 0, 3, 0)
    );
    assert_eq!(store.count(), 3);
    assert_eq!(store.next_event_seq(), log_length);
    let jane = store.find_by_email("jane.doe@gmail.com").unwrap().unwrap();
    assert_eq!(
        store
            .count_events(jane.id, &EventQuery::of_type("consent"))
            .unwrap(),
        1
    );
}

#[test]
fn reimporting_an_updated_export_updates_and_records_consent_changes() {
    let store = Store::temporary().unwrap();
    import(&store, GOOD, &options());
    let updated = GOOD.replace("Jane,Doe", "Janet,Doe").replace(
        "UNSUBSCRIBED,2026-02-01 09:00:00",
        "SUBSCRIBED,2026-11-01 09:00:00",
    );
    let summary = import(&store, &updated, &options());
    assert_eq!(
        (summary.created, summary.updated, summary.unchanged),
        (0, 2, 1)
    );
    assert_eq!(summary.events, 1);
    let john = store.find_by_klaviyo_id("01JOHN").unwrap().unwrap();
    assert!(store
        .consent_valid(john.id, "newsletter", chrono::Utc::now())
        .unwrap());
    let jane = store.find_by_klaviyo_id("01JANE").unwrap().unwrap();
    assert_eq!(jane.properties["first_name"], json!("Janet"));
}

#[test]
fn a_row_joining_two_known_customers_merges_them() {
    let store = Store::temporary().unwrap();
    import(
        &store,
        "Email,Klaviyo ID\na@example.com,\n,\nb@example.com,01B\n",
        &options(),
    );
    let summary = import(&store, "Profile ID,Email\n01B,a@example.com\n", &options());
    assert_eq!(summary.merged, 1);
    assert_eq!(store.count(), 1);
}

#[test]
fn the_project_mapping_renames_columns() {
    let store = Store::temporary().unwrap();
    let mut options = options();
    options
        .columns
        .insert("Phone Number".into(), "klaviyo_phone".into());
    import(&store, GOOD, &options);
    let jane = store.find_by_email("jane.doe@gmail.com").unwrap().unwrap();
    assert_eq!(jane.properties["klaviyo_phone"], json!("+420111"));
    assert!(!jane.properties.contains_key("phone_number"));
}

/// Good rows, and one row of every kind of bad row; the quoted address spans two lines.
const MIXED: &[u8] =
    b"Email,Klaviyo ID,First Name,Address,Email Marketing Consent,Last Open,Profile Created On
good1@example.com,,One,\"Main St 1
Floor 2\",SUBSCRIBED,2026-10-01,2025-01-01
,01NOEMAIL,NoEmail,,,,
not-an-email,,Bad,,,,
two@@example.com,,Bad,,,,
good2@example.com,,Two,,NEVER_SUBSCRIBED,,
bad-date@example.com,,Bad,,,yesterday,
bad-created@example.com,,Bad,,,,31/31/2025
bad-consent@example.com,,Bad,,MAYBE,,
bad-klaviyo@example.com,01 SPACE,Bad,,,,
bad-utf8@example.com,,\xff\xfe,,,,
short-row-no-email
good3@example.com,,Three
";

fn project_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        "timezone: UTC\nimport:\n  consent_category: newsletter\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("export.csv"), MIXED).unwrap();
    dir
}

fn warmup(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command.current_dir(dir);
    command
}

#[test]
fn every_kind_of_bad_row_is_reported_with_its_line_and_the_rest_imported() {
    let dir = project_dir();
    let output = warmup(dir.path())
        .args(["import", "customers", "export.csv", "--tag", "engaged-90"])
        .output()
        .unwrap();
    // Rows were rejected: the documented exit code 4, after importing the rest.
    assert_eq!(output.status.code(), Some(4));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    insta::assert_snapshot!("import_summary", stdout);
    insta::assert_snapshot!("import_rejects_report", stderr);
    let rejects = std::fs::read(dir.path().join("export.rejects.csv")).unwrap();
    insta::assert_snapshot!("import_rejects_file", String::from_utf8_lossy(&rejects));
    warmup(dir.path())
        .args(["customers", "count"])
        .assert()
        .success()
        .stdout("3\n");
    warmup(dir.path())
        .args(["customers", "show", "good1@example.com"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "address: \"Main St 1\\nFloor 2\"",
        ))
        .stdout(predicates::str::contains("tags: [\"engaged-90\"]"));
}

#[test]
fn the_rejects_file_can_be_chosen() {
    let dir = project_dir();
    warmup(dir.path())
        .args(["import", "customers", "export.csv", "--rejects", "bad.csv"])
        .assert()
        .code(4)
        .stdout(predicates::str::contains("(written to bad.csv)"));
    let text =
        String::from_utf8_lossy(&std::fs::read(dir.path().join("bad.csv")).unwrap()).into_owned();
    assert!(text.starts_with("line,reason,Email,"), "{text}");
}

#[test]
fn a_file_without_an_email_column_is_invalid_input() {
    let dir = project_dir();
    std::fs::write(dir.path().join("names.csv"), "Name,Phone\nJane,1\n").unwrap();
    warmup(dir.path())
        .args(["import", "customers", "names.csv"])
        .assert()
        .code(2)
        .stderr("error: names.csv:1: no `Email` column (found: Name, Phone)\n");
}

#[test]
fn a_missing_file_or_project_is_invalid_input() {
    let dir = project_dir();
    warmup(dir.path())
        .args(["import", "customers", "missing.csv"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read `missing.csv`"));
    let empty = tempfile::tempdir().unwrap();
    warmup(empty.path())
        .args(["import", "customers", "x.csv"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no project file"));
}
