//! `warmup validate` drives the real binary: exit codes, every problem of every file
//! in one run, the summary line, project discovery and override.

use assert_cmd::Command;
use predicates::prelude::*;

/// `warmup` with the example project's secrets set (their absence is `validate`'s business:
/// tests/preflight.rs).
fn warmup() -> Command {
    let mut command = Command::cargo_bin("warmup").expect("binary");
    command
        .env_remove("WARMUP_PROJECT")
        .env("KLAVIYO_API_KEY", "pk_example0000000000000000000000000000")
        .env("WARMUP_UNSUBSCRIBE_KEY", "example-signing-key")
        .env("WARMUP_INGEST_TOKEN", "example-ingest-token");
    command
}

#[test]
fn the_examples_validate_clean() {
    warmup()
        .args(["validate", "scenarios"])
        .assert()
        .code(0)
        .stdout("4 files, 0 errors\n");
}

#[test]
fn without_paths_the_projects_scenarios_are_validated() {
    warmup()
        .arg("validate")
        .assert()
        .code(0)
        .stdout("2 files, 0 errors\n");
}

#[test]
fn every_problem_of_every_file_is_reported_at_once_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "W0008-missing-node",
        "W0013-unknown-auth",
        "W0021-invalid-cron",
    ] {
        std::fs::copy(
            format!("tests/fixtures/invalid/{name}.yaml"),
            dir.path().join(format!("{name}.yaml")),
        )
        .unwrap();
    }
    let output = warmup()
        .arg("validate")
        .arg(dir.path())
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(output).unwrap();
    for expected in [
        "W0008-missing-node.yaml:5:62]",
        "W0013-unknown-auth.yaml:5:59]",
        "W0021-invalid-cron.yaml:4:32]",
        "node `cond`: edge `yes` leads to missing node `mial`",
        "help: did you mean `klaviyo`?",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    assert!(stdout.ends_with("4 files, 3 errors\n"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "no colors when not a terminal");
}

#[test]
fn a_missing_path_is_an_error_naming_it() {
    warmup()
        .args(["validate", "scenarios/nope.yaml"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("W0038"))
        .stdout(predicate::str::contains("cannot read scenarios/nope.yaml"));
}

#[test]
fn the_project_file_is_validated_too() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("warmup.yaml");
    std::fs::write(&project, "timezone: Europe/Prague\nconsent_categories: { newsletter: {} }\nimport: { consent_category: newsleter }\n").unwrap();
    warmup()
        .arg("--project")
        .arg(&project)
        .args(["validate", "scenarios/variant-1.yaml"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("W0015"))
        .stdout(predicate::str::contains("warmup.yaml:3:29]"));
}

#[test]
fn a_project_file_that_does_not_load_gets_positioned_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("warmup.yaml");
    std::fs::write(&project, "timezone: Europe/Prague\nstorage: .warmup\n").unwrap();
    warmup()
        .arg("--project")
        .arg(&project)
        .arg("validate")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("W0002"))
        .stdout(predicate::str::contains("unknown field `storage`"))
        .stdout(predicate::str::contains("warmup.yaml:2:1]"))
        .stdout(predicate::str::contains("1 file, 1 error"));
}

#[test]
fn the_project_file_is_found_in_a_parent_folder() {
    warmup()
        .current_dir("scenarios")
        .args(["validate", "variant-2.yaml"])
        .assert()
        .code(0)
        .stdout("2 files, 0 errors\n");
}

#[test]
fn no_project_file_is_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    warmup()
        .current_dir(dir.path())
        .args(["validate", "--project", "absent.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("absent.yaml"));
}

#[test]
fn a_syntax_error_in_an_email_template_file_points_into_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::copy("warmup.yaml", root.join("warmup.yaml")).unwrap();
    let folder = root.join("templates/broken");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("subject.txt"), "Hello\n").unwrap();
    std::fs::write(folder.join("body.txt"), "Hi\n").unwrap();
    std::fs::write(
        folder.join("body.html"),
        "<p>\n{{ customer.first_name }</p>\n",
    )
    .unwrap();
    std::fs::create_dir(root.join("scenarios")).unwrap();
    std::fs::write(
        root.join("scenarios/mail.yaml"),
        "name: mail\nnodes:\n  s: { kind: on_date, at: \"2026-12-01T00:00\", next: m }\n  m: { kind: email, template: broken }\n",
    )
    .unwrap();
    warmup()
        .current_dir(root)
        .args(["validate", "scenarios"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("templates/broken/body.html:2:24]"))
        .stdout(predicate::str::contains("node `m`: template syntax error"))
        .stdout(predicate::str::ends_with("2 files, 1 error\n"));
}
