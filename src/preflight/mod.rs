//! Preflight: what a run needs that compiling the files cannot see, checked before anything
//! is sent (`warmup validate`, and `tick` / `run` before they start): every secret the project
//! needs resolves, every e-mail template renders for a sample customer, and with `--online`
//! the Klaviyo keys work and every list id in use exists. Problems are diagnostics like the
//! files' own (codes W0039–W0042), at the field and line they concern.

mod online;
mod secrets;
mod templates;
mod uses;

use std::path::PathBuf;

use crate::project::Project;
use crate::scenario::{yaml, Diagnostics, Reporter, SourceFile, SpanIndex};

/// Which parts of the project the command at hand needs besides the scenarios.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// The Klaviyo sync (`klaviyo.api_key`).
    pub klaviyo: bool,
    /// The HTTP server (`server.tokens`).
    pub server: bool,
    /// Render the e-mail templates (once the files are known to compile).
    pub templates: bool,
}

impl Needs {
    /// Everything: what `validate` and `run` check.
    pub fn all() -> Self {
        Self {
            klaviyo: true,
            server: true,
            templates: true,
        }
    }

    /// What the scenarios themselves need: their auth schemas, e-mail secrets and templates
    /// (`tick` and `run`).
    pub fn scenarios() -> Self {
        Self {
            templates: true,
            ..Self::default()
        }
    }
}

/// A reporter for the project file's own positions.
fn project_reporter(project: &Project) -> Reporter {
    let text = std::fs::read_to_string(&project.path).unwrap_or_default();
    let index = yaml::parse(&text)
        .map(|document| document.index)
        .unwrap_or_else(|_| SpanIndex::default());
    Reporter::new(SourceFile::new(&project.path, text), index)
}

fn finish(reporter: Reporter, scenario: Vec<crate::scenario::Diagnostic>) -> Diagnostics {
    let mut diagnostics = reporter.diagnostics;
    for diagnostic in scenario {
        diagnostics.push(diagnostic);
    }
    diagnostics.sort();
    diagnostics
}

/// The offline checks for the scenarios under `paths`.
pub fn check(project: &Project, paths: &[PathBuf], needs: Needs) -> Diagnostics {
    let nodes = uses::nodes(paths);
    let mut reporter = project_reporter(project);
    secrets::check(project, &nodes, needs, &mut reporter);
    let mut scenario = Vec::new();
    if needs.templates {
        templates::check(project, &nodes, &mut scenario);
    }
    finish(reporter, scenario)
}

/// The `--online` checks: Klaviyo keys and list ids, against the Klaviyo the project names.
pub async fn check_online(project: &Project, paths: &[PathBuf]) -> Diagnostics {
    let nodes = uses::nodes(paths);
    let mut reporter = project_reporter(project);
    let mut scenario = Vec::new();
    online::check(project, &nodes, &mut reporter, &mut scenario).await;
    finish(reporter, scenario)
}
