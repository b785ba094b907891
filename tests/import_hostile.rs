//! Imports of unlucky files through the binary: line numbers are the editor's whatever the
//! line endings, a stray quote costs one row, a column written twice stops the import,
//! consent for categories the project lacks and absurd timestamps are rejected, and rejected
//! rows make the exit code 4.

use std::path::Path;

use assert_cmd::Command;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        "timezone: UTC\nconsent_categories: { newsletter: {} }\nimport:\n  consent_category: newsletter\n",
    )
    .unwrap();
    dir
}

fn warmup(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command.current_dir(dir).env_remove("WARMUP_PROJECT");
    command
}

fn import(dir: &Path, what: &str, file: &str) -> (Option<i32>, String, String) {
    let output = warmup(dir).args(["import", what, file]).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn count(dir: &Path) -> String {
    let output = warmup(dir).args(["customers", "count"]).output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The lines of the rejects report: `FILE:LINE`.
fn reject_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.split(": ").next())
        .filter(|l| l.contains(".csv:") || l.contains(".jsonl:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn rejected_rows_are_named_by_their_editor_line_for_lf_crlf_and_cr_files() {
    // Editor lines: 1 header, 2 good, 3 blank, 4 bad, 5–6 good with a two-line address,
    // 7 bad, 8 blank, 9 blank, 10 bad.
    let rows = [
        "Email,Address",
        "a@example.com,x",
        "",
        ",no email",
        "b@example.com,\"Main St 1\nFloor 2\"",
        ",no email",
        "",
        "",
        ",no email",
    ];
    for (name, ending) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
        let dir = project();
        let rows: Vec<String> = rows.iter().map(|r| r.replace('\n', ending)).collect();
        let file = format!("{name}.csv");
        std::fs::write(dir.path().join(&file), rows.join(ending) + ending).unwrap();
        let (code, _, stderr) = import(dir.path(), "customers", &file);
        assert_eq!(code, Some(4), "{name}: {stderr}");
        assert_eq!(
            reject_lines(&stderr),
            [4, 7, 10].map(|l| format!("{file}:{l}")),
            "{name}: {stderr}"
        );
        assert_eq!(count(dir.path()), "2", "{name}");
    }
}

#[test]
fn an_unterminated_quote_rejects_its_row_and_the_rest_is_imported() {
    let dir = project();
    let mut text = String::from(
        "Email,Name\r\nfirst@example.com,One\r\nbroken@example.com,\"never closed\r\n",
    );
    for i in 0..1000 {
        text.push_str(&format!("c{i}@example.com,Name {i}\r\n"));
    }
    std::fs::write(dir.path().join("export.csv"), text).unwrap();
    let (code, stdout, stderr) = import(dir.path(), "customers", "export.csv");
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains("export.csv:3: unreadable CSV: the quoted field opened at line 3, column 20 does not close: the file ends inside it"),
        "{stderr}"
    );
    assert!(stdout.contains("rejected           1"), "{stdout}");
    assert!(stdout.contains("created         1001"), "{stdout}");
    assert_eq!(count(dir.path()), "1001");
}

#[test]
fn a_column_written_twice_stops_the_import_naming_both() {
    let dir = project();
    std::fs::write(
        dir.path().join("twice.csv"),
        "Email,First Name,Email Address\nA@example.com,Ann,b@example.com\n",
    )
    .unwrap();
    let (code, _, stderr) = import(dir.path(), "customers", "twice.csv");
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "error: twice.csv:1: columns 1 (`Email`) and 3 (`Email Address`) both give the email address; keep one\n"
    );
    assert_eq!(count(dir.path()), "0");
}

#[test]
fn absurd_dates_in_a_csv_are_rejected_with_the_reason() {
    let dir = project();
    std::fs::write(
        dir.path().join("dates.csv"),
        "Email,Email Marketing Consent,Email Marketing Consent Timestamp,Last Open\n\
         ok@example.com,SUBSCRIBED,2026-01-01 10:00:00,2026-02-01\n\
         future@example.com,SUBSCRIBED,9999-12-31 23:59:59,\n\
         old@example.com,SUBSCRIBED,2026-01-01 10:00:00,0001-01-01\n",
    )
    .unwrap();
    let (code, _, stderr) = import(dir.path(), "customers", "dates.csv");
    assert_eq!(code, Some(4));
    assert!(stderr.contains("dates.csv:3: `Email Marketing Consent Timestamp`: 9999-12-31T23:59:59Z is more than a day in the future"), "{stderr}");
    assert!(
        stderr.contains("dates.csv:4: `Last Open`: 0001-01-01T00:00:00Z is before 1970"),
        "{stderr}"
    );
    assert_eq!(count(dir.path()), "1");
}

#[test]
fn event_lines_with_unknown_consent_categories_or_absurd_timestamps_are_rejected() {
    let dir = project();
    std::fs::write(
        dir.path().join("events.jsonl"),
        r#"{"email": "a@example.com", "type": "consent", "timestamp": "2026-11-01T10:00:00Z", "properties": {"action": "accept", "category": "newsletter"}}
{"email": "a@example.com", "type": "consent", "timestamp": "2026-11-02T10:00:00Z", "properties": {"action": "accept", "category": "sms"}}
{"email": "a@example.com", "type": "consent", "timestamp": "9999-01-01T00:00:00Z", "properties": {"action": "accept", "category": "newsletter"}}
{"email": "a@example.com", "type": "purchase", "timestamp": "2026-11-03T10:00:00Z"}
"#,
    )
    .unwrap();
    let (code, stdout, stderr) = import(dir.path(), "events", "events.jsonl");
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains(
            "events.jsonl:2: unknown consent category `sms`; the project defines: newsletter"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "events.jsonl:3: `timestamp`: 9999-01-01T00:00:00Z is more than a day in the future"
        ),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("error: 2 lines rejected; everything else was imported\n"),
        "{stderr}"
    );
    assert!(stdout.contains("events             2"), "{stdout}");
}

#[test]
fn an_import_without_rejects_exits_0() {
    let dir = project();
    std::fs::write(dir.path().join("ok.csv"), "Email\r\na@example.com\r\n").unwrap();
    let (code, _, stderr) = import(dir.path(), "customers", "ok.csv");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "");
}
