use super::output;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::cli::InvalidInput;
use crate::project::{Project, ProjectError, PROJECT_FILE_NAME};
use crate::scenario::project_check::project_file_diagnostics;
use crate::scenario::{validate, Diagnostics};

/// Check scenario files (and the project file): every problem of every file at once.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Scenario files or folders (default: the project's scenario paths).
    pub paths: Vec<PathBuf>,
    /// Also ask Klaviyo: the API keys work and every list id in use exists.
    #[arg(long)]
    pub online: bool,
}

pub fn run(args: ValidateArgs, project: Option<&Path>) -> anyhow::Result<()> {
    let color = colors(std::io::stdout().is_terminal());
    let project = match load_project(project) {
        Ok(project) => project,
        Err(ProjectFailure::Diagnostics(diagnostics)) => {
            output::out!("{}", diagnostics.render(color));
            output::outln!("{}", summary(1, diagnostics.len()));
            return Err(InvalidInput::reported("the project file is invalid").into());
        }
        Err(ProjectFailure::Other(error)) => {
            return Err(InvalidInput::new(error.to_string()).into())
        }
    };
    let paths = if args.paths.is_empty() {
        project.scenario_paths()
    } else {
        args.paths
    };
    let validation = validate(&project, &paths);
    let mut diagnostics = validation.diagnostics;
    // Templates are rendered only once the files are sound (a syntax error is reported once).
    let sound = diagnostics.is_empty();
    diagnostics.extend(preflight(&project, &paths, sound, args.online)?);
    output::out!("{}", diagnostics.render(color));
    output::outln!("{}", summary(validation.files, diagnostics.len()));
    if diagnostics.is_empty() {
        Ok(())
    } else {
        Err(InvalidInput::reported(format!("{} errors", diagnostics.len())).into())
    }
}

/// The preflight checks of everything the project needs, with Klaviyo's answers if `online`.
fn preflight(
    project: &Project,
    paths: &[PathBuf],
    sound: bool,
    online: bool,
) -> anyhow::Result<Diagnostics> {
    let needs = crate::preflight::Needs {
        templates: sound,
        ..crate::preflight::Needs::all()
    };
    let mut diagnostics = crate::preflight::check(project, paths, needs);
    if online {
        let runtime = tokio::runtime::Runtime::new()?;
        diagnostics.extend(runtime.block_on(crate::preflight::check_online(project, paths)));
    }
    Ok(diagnostics)
}

/// Colors on a terminal, unless `NO_COLOR` is set (<https://no-color.org>).
pub(crate) fn colors(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `3 files, 0 errors`
fn summary(files: usize, errors: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!("{}, {}", plural(files, "file"), plural(errors, "error"))
}

/// Why the project could not be loaded.
pub(crate) enum ProjectFailure {
    /// The file is there but invalid: positioned diagnostics.
    Diagnostics(Diagnostics),
    /// No file, or unreadable.
    Other(ProjectError),
}

/// Loads `explicit`, or the first `warmup.yaml` in the working directory or its parents.
pub(crate) fn load_project(explicit: Option<&Path>) -> Result<Project, ProjectFailure> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => find_project().unwrap_or_else(|| PathBuf::from(PROJECT_FILE_NAME)),
    };
    match Project::load(Some(&path)) {
        Ok(project) => Ok(project),
        Err(ProjectError::Parse { .. }) => {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            Err(ProjectFailure::Diagnostics(project_file_diagnostics(
                &path, &text,
            )))
        }
        Err(error) => Err(ProjectFailure::Other(error)),
    }
}

fn find_project() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let found = cwd
        .ancestors()
        .map(|dir| dir.join(PROJECT_FILE_NAME))
        .find(|candidate| candidate.is_file())?;
    // Shown in diagnostics: keep it short when it is the working directory's.
    Some(
        found
            .strip_prefix(&cwd)
            .map(Path::to_path_buf)
            .unwrap_or(found),
    )
}
