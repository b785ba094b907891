//! `warmup store compact`, through the binary.

use assert_cmd::Command;
use warmup::store::Store;

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
        dir.path().join("later.csv"),
        "Email,First Name\nmia@example.com,Mia\n",
    )
    .unwrap();
    warmup(&dir)
        .args(["import", "customers", "export.csv"])
        .assert()
        .success();
    dir
}

fn warmup(dir: &tempfile::TempDir) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command.current_dir(dir.path());
    command
}

fn stdout(dir: &tempfile::TempDir, args: &[&str]) -> String {
    let output = warmup(dir).args(args).output().unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

fn stderr(dir: &tempfile::TempDir, args: &[&str], code: i32) -> String {
    let output = warmup(dir).args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(code), "{args:?}: {output:?}");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn compaction_keeps_customers_and_reports_the_sizes() {
    let dir = project();
    let jane = stdout(&dir, &["customers", "show", "jane@example.com"]);
    let report = stdout(&dir, &["store", "compact"]);
    insta::with_settings!({filters => vec![
        (r"\d+\.\d\d (kB|MB|GB)", "[size]"),
        (r"in \d+\.\d s", "in [time]"),
    ]}, {
        insta::assert_snapshot!("store_compact", report);
    });
    assert_eq!(
        stdout(&dir, &["customers", "show", "jane@example.com"]),
        jane
    );
    assert_eq!(stdout(&dir, &["customers", "count"]), "2\n");
    assert!(!dir.path().join(".warmup.compacting").exists());
    assert!(!dir.path().join(".warmup.pre-compact").exists());

    // Ids are never reused: a customer imported after the compaction gets a new one.
    stdout(&dir, &["import", "customers", "later.csv"]);
    let mia = stdout(&dir, &["customers", "show", "mia@example.com"]);
    let id: u64 = mia
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("customer #"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id in {mia}"));
    assert!(id > 2, "{mia}");
    assert_eq!(stdout(&dir, &["customers", "count"]), "3\n");
}

#[test]
fn a_store_in_use_is_left_alone() {
    let dir = project();
    let held = Store::open(&dir.path().join(".warmup")).unwrap();
    let error = stderr(&dir, &["store", "compact"], 1);
    assert_eq!(
        error,
        "error: cannot compact the store `./.warmup`: the store `./.warmup` is in use by another \
         warmup process; stop it or use another store folder\n"
    );
    drop(held);
    assert_eq!(stdout(&dir, &["customers", "count"]), "2\n");
}

#[test]
fn a_project_without_a_store_is_told_to_import_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("warmup.yaml"), "timezone: UTC\n").unwrap();
    let error = stderr(&dir, &["store", "compact"], 2);
    assert_eq!(
        error,
        "error: there is no store at `./.warmup` yet: import customers first\n"
    );
    assert!(!dir.path().join(".warmup").exists());
}
