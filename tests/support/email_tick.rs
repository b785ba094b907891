//! A project the `warmup` binary sends e-mail from: the e-mail settings, templates and key
//! files of [`super::email_setup::project`], a daily scenario that e-mails everyone at 09:00
//! (its third day on 2026-12-01, so the messages pass [`super::email_setup::check_message`]),
//! and imported customers. Failed sends move on to a node that marks the customer.

use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::prelude::*;
use serde_json::json;

use super::email_setup::{project, Project};

/// When the scenario is activated (on day 3, before its 09:00 fire: a scenario activated
/// later on a fire's day runs that fire), and just after the day-3 fire.
pub const ACTIVATE_AT: &str = "2026-12-01T00:30:00Z";
pub const SEND_AT: &str = "2026-12-01T09:00:30Z";

/// A project folder with `warmup.yaml` sending through `transport` (JSON, as in the project
/// file) and the customers `emails` imported, in that order (ids 1, 2, …).
pub fn tick_project(transport: serde_json::Value, emails: &[&str]) -> Project {
    let project = project(transport);
    let root = project.dir.path();
    let file = json!({
        "timezone": "UTC",
        "store": "store",
        "consent_categories": { "newsletter": { "description": "News by e-mail." } },
        "email": serde_json::to_value(&project.config).unwrap(),
    });
    std::fs::write(
        root.join("warmup.yaml"),
        serde_yaml::to_string(&file).unwrap(),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("scenarios")).unwrap();
    std::fs::write(
        root.join("scenarios/daily.yaml"),
        r#"name: daily
nodes:
  start: { kind: repeat, at: "09:00", start: "2026-11-29", end: "2026-12-31", next: mail }
  mail: { kind: email, template: welcome, on_failure: mark }
  mark: { kind: set_property, set: { email_failed_on: "{{ now }}" } }
"#,
    )
    .unwrap();
    let mut csv = String::from("Email,First Name\n");
    for email in emails {
        csv.push_str(&format!("{email},Ann & Bob\n"));
    }
    std::fs::write(root.join("customers.csv"), csv).unwrap();
    warmup(root)
        .args(["import", "customers", "customers.csv"])
        .assert()
        .success();
    project
}

/// `warmup` in the project folder.
pub fn warmup(root: &Path) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command.current_dir(root).env_remove("WARMUP_CRASH_AT");
    command
}

/// Activates the scenario, then ticks past the day-3 fire; returns the second tick's output.
pub fn tick_through_send(root: &Path) -> Output {
    warmup(root)
        .args(["tick", "--now", ACTIVATE_AT])
        .assert()
        .success();
    warmup(root)
        .args(["tick", "--now", SEND_AT])
        .output()
        .unwrap()
}

/// The text of `warmup customers show EMAIL`.
pub fn show_customer(root: &Path, email: &str) -> String {
    let output = warmup(root)
        .args(["customers", "show", email])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// Everything a person sees of a command: its stdout and stderr.
pub fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
