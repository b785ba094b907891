//! `warmup customers show` and `warmup customers count`, through the binary.

use assert_cmd::Command;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        "timezone: UTC\nimport:\n  consent_category: newsletter\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("export.csv"),
        "Email,Klaviyo ID,First Name,Email Marketing Consent,Email Marketing Consent Timestamp\n\
         jane@example.com,01JANE,Jane,SUBSCRIBED,2026-01-05 10:00:00\n\
         john@example.com,,John,NEVER_SUBSCRIBED,\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("events.jsonl"),
        "{\"klaviyo_id\": \"01JANE\", \"cookie\": \"ck-1\", \"type\": \"campaign\", \"timestamp\": \"2026-11-02T09:00:00Z\", \"properties\": {\"action\": \"delivered\"}}\n",
    )
    .unwrap();
    for args in [
        &["import", "customers", "export.csv"][..],
        &["import", "events", "events.jsonl"][..],
    ] {
        warmup(&dir).args(args).assert().success();
    }
    dir
}

fn warmup(dir: &tempfile::TempDir) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command.current_dir(dir.path());
    command
}

#[test]
fn count_prints_the_number_of_customers() {
    let dir = project();
    warmup(&dir)
        .args(["customers", "count"])
        .assert()
        .success()
        .stdout("2\n");
}

#[test]
fn show_finds_a_customer_by_any_identifier() {
    let dir = project();
    let show = |id: &str| {
        let output = warmup(&dir)
            .args(["customers", "show", id])
            .output()
            .unwrap();
        assert!(output.status.success(), "{id}");
        String::from_utf8(output.stdout).unwrap()
    };
    let by_email = show("JANE@example.com");
    assert_eq!(show("01JANE"), by_email);
    assert_eq!(show("ck-1"), by_email);
    assert_eq!(show("#1"), by_email);
    insta::with_settings!({filters => vec![
        (r"(created|updated):\s+\S+", "$1: [time]"),
    ]}, {
        insta::assert_snapshot!("customers_show", by_email);
    });
}

#[test]
fn show_of_an_unknown_identifier_is_invalid_input() {
    let dir = project();
    warmup(&dir)
        .args(["customers", "show", "nobody@example.com"])
        .assert()
        .code(2)
        .stderr("error: no customer with identifier `nobody@example.com`\n");
}
