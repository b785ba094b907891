//! Loading scenarios from files and folders: every file compiled, every problem of
//! every file collected, scenario names unique across files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::compile::{compile_file, FileOutcome};
use super::compiled::Scenario;
use super::project_check::{check_project, unreadable};
use super::{Code, Diagnostic, Diagnostics, SourceFile};
use crate::project::Project;

/// The result of checking a set of files.
#[derive(Debug)]
pub struct Validation {
    /// Files checked (the project file included).
    pub files: usize,
    /// The scenarios that compiled.
    pub scenarios: Vec<Scenario>,
    /// Every problem, sorted by file and position.
    pub diagnostics: Diagnostics,
}

/// Loads and compiles every scenario under `paths` (files, or folders searched for
/// `*.yaml` / `*.yml`); all of them, or every problem of every file (the project
/// file's included).
pub fn load_scenarios(project: &Project, paths: &[PathBuf]) -> Result<Vec<Scenario>, Diagnostics> {
    let validation = validate(project, paths);
    validation.diagnostics.into_result(validation.scenarios)
}

/// Checks the project file and every scenario file under `paths`.
pub fn validate(project: &Project, paths: &[PathBuf]) -> Validation {
    let context = check_project(project);
    let mut diagnostics = context.diagnostics.clone();
    let (files, missing) = scenario_files(paths);
    for (path, error) in missing {
        diagnostics.push(unreadable(&path, &error));
    }
    let mut outcomes: Vec<FileOutcome> = Vec::new();
    for path in &files {
        match std::fs::read_to_string(path) {
            Ok(text) => outcomes.push(compile_file(SourceFile::new(path, text), &context)),
            Err(error) => diagnostics.push(unreadable(path, &error)),
        }
    }
    duplicate_names(&outcomes, &mut diagnostics);
    let mut scenarios = Vec::new();
    for outcome in outcomes {
        diagnostics.extend(outcome.diagnostics);
        scenarios.extend(outcome.scenario);
    }
    Validation {
        files: files.len() + 1,
        scenarios,
        diagnostics,
    }
}

/// The scenario files under `paths`, sorted within each folder (recursively), and the
/// paths that could not be listed.
pub fn scenario_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, std::io::Error)>) {
    let mut files = Vec::new();
    let mut failed = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut files, &mut failed);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            failed.push((
                path.clone(),
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            ));
        }
    }
    (files, failed)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>, failed: &mut Vec<(PathBuf, std::io::Error)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => return failed.push((dir.to_path_buf(), error)),
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, files, failed);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
}

fn duplicate_names(outcomes: &[FileOutcome], diagnostics: &mut Diagnostics) {
    let mut first: BTreeMap<&str, &Path> = BTreeMap::new();
    for outcome in outcomes {
        let Some((name, span)) = &outcome.name else {
            continue;
        };
        match first.get(name.as_str()) {
            Some(earlier) => diagnostics.push(
                Diagnostic::new(
                    &outcome.source,
                    *span,
                    Code::DuplicateScenario,
                    format!(
                        "scenario name `{name}` is also used by {}",
                        earlier.display()
                    ),
                )
                .with_label("used twice")
                .with_help("scenario names are unique: the store keys runs by them"),
            ),
            None => {
                first.insert(name, &outcome.source.path);
            }
        }
    }
}
