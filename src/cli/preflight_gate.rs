//! `tick` and `run` check, before anything is sent, what their scenarios need but compiling
//! cannot see (see [`crate::preflight`]): secrets of the auth schemas and of e-mail, and
//! e-mail templates that render. Problems are printed like `validate`'s, and stop the
//! command with exit 2. With `--capture` nothing is sent, so nothing is checked.

use super::output;
use std::io::IsTerminal;
use std::path::Path;

use crate::cli::InvalidInput;
use crate::project::Project;

/// Stops with the problems when the project's scenarios could not run.
pub(crate) fn gate(project: Option<&Path>, capture: bool) -> anyhow::Result<()> {
    if capture {
        return Ok(());
    }
    // A project that does not load is reported by the command itself.
    let Ok(project) = Project::load(project) else {
        return Ok(());
    };
    let paths = project.scenario_paths();
    let diagnostics =
        crate::preflight::check(&project, &paths, crate::preflight::Needs::scenarios());
    if diagnostics.is_empty() {
        return Ok(());
    }
    let color = super::validate::colors(std::io::stderr().is_terminal());
    output::err!("{}", diagnostics.render(color));
    Err(InvalidInput::new(format!(
        "{} problems found before starting (nothing was sent)",
        diagnostics.len()
    ))
    .into())
}
