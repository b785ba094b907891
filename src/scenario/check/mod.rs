//! The checks, one family per file. Each reports through a [`Cx`] and, where it
//! compiles something, returns `None` after reporting why it could not.

pub mod days;
pub mod email;
pub mod graph;
pub mod limit;
pub mod membership;
pub mod nodes;
pub mod predicate;
pub mod templates;
pub mod webhook;

use std::collections::BTreeMap;

use chrono_tz::Tz;

use super::compiled::{PlanTable, Predicate};
use super::reporter::suggest;
use super::time::{parse_bounded_duration, DurationProblem};
use super::{Code, Reporter, YamlPath};
use crate::project::{Project, OTHER_PROVIDER};

/// Segments of the project: compiled, or `None` when the definition is broken
/// (already reported against the project file).
pub type Segments = BTreeMap<String, Option<Predicate>>;

/// What every check needs: where to report, the project, the time zone in force.
pub struct Cx<'a> {
    /// Diagnostics of the file being checked.
    pub reporter: &'a mut Reporter,
    /// The project.
    pub project: &'a Project,
    /// Compiled segments of the project.
    pub segments: &'a Segments,
    /// The file's time zone.
    pub tz: Tz,
    /// Params the scenario defines (`params.NAME`); `None` for the project file, or
    /// when they could not be read (already reported).
    pub params: Option<&'a BTreeMap<String, serde_json::Value>>,
    /// Plan tables the scenario defines; `None` where plans do not apply (the project
    /// file) or could not be read (already reported).
    pub plans: Option<&'a BTreeMap<String, PlanTable>>,
    /// The node being checked.
    pub node: Option<String>,
}

impl Cx<'_> {
    /// Reports at the value of `path`, for the current node.
    pub fn error(&mut self, path: &YamlPath, code: Code, message: impl Into<String>) {
        let node = self.node.clone();
        self.reporter.value(path, code, node.as_deref(), message);
    }

    /// Reports at the value of `path` with a hint.
    pub fn error_help(
        &mut self,
        path: &YamlPath,
        code: Code,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let node = self.node.clone();
        self.reporter
            .value(path, code, node.as_deref(), message)
            .help = help;
    }

    /// Reports a name that is not among `known`, suggesting the closest.
    pub fn unknown_name<'k>(
        &mut self,
        path: &YamlPath,
        code: Code,
        what: &str,
        name: &str,
        known: impl IntoIterator<Item = &'k String>,
    ) {
        let known: Vec<String> = known.into_iter().cloned().collect();
        let help = suggest(name, &known).or_else(|| {
            Some(if known.is_empty() {
                format!("the project defines no {what}")
            } else {
                format!("defined: {}", super::reporter::quote_all(&known))
            })
        });
        self.error_help(path, code, format!("undefined {what} `{name}`"), help);
    }

    /// The mailbox-provider groups, `other` included.
    pub fn provider_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self.project.mailbox_providers().into_keys().collect();
        if !groups.iter().any(|g| g == OTHER_PROVIDER) {
            groups.push(OTHER_PROVIDER.to_owned());
        }
        groups
    }

    /// Checks a consent category name.
    pub fn consent_category(&mut self, path: &YamlPath, name: &str) {
        let categories = &self.project.file.consent_categories;
        if !categories.contains_key(name) {
            let known: Vec<String> = categories.keys().cloned().collect();
            self.unknown_name(path, Code::UnknownConsent, "consent category", name, &known);
        }
    }

    /// Parses a duration of at most `max`: W0020 when it is none, W0043 when longer.
    pub fn duration(
        &mut self,
        path: &YamlPath,
        text: &str,
        max: std::time::Duration,
    ) -> Option<std::time::Duration> {
        match parse_bounded_duration(text, max) {
            Ok(duration) => Some(duration),
            Err(DurationProblem::Syntax(message)) => {
                self.error(path, Code::InvalidDuration, message);
                None
            }
            Err(DurationProblem::TooLong(message)) => {
                self.error(path, Code::DurationTooLong, message);
                None
            }
        }
    }

    /// Parses with `parse`, reporting `code` at `path` on failure.
    pub fn parse<T>(
        &mut self,
        path: &YamlPath,
        code: Code,
        text: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(text) {
            Ok(value) => Some(value),
            Err(message) => {
                self.error(path, code, message);
                None
            }
        }
    }
}
