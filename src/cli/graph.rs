use super::output;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::validate::{colors, load_project, ProjectFailure};
use crate::cli::InvalidInput;
use crate::graph::{render, GraphFormat};
use crate::scenario::compile_str;

/// Print a scenario's compiled DAG with node ids, names and port labels.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
}

pub fn run(args: GraphArgs, project: Option<&Path>) -> anyhow::Result<()> {
    let color = colors(std::io::stderr().is_terminal());
    let project = match load_project(project) {
        Ok(project) => project,
        Err(ProjectFailure::Diagnostics(diagnostics)) => {
            output::err!("{}", diagnostics.render(color));
            return Err(InvalidInput::reported("the project file is invalid").into());
        }
        Err(ProjectFailure::Other(error)) => {
            return Err(InvalidInput::new(error.to_string()).into())
        }
    };
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read `{}`", args.file.display()))
        .map_err(|error| InvalidInput::new(format!("{error:#}")))?;
    match compile_str(&text, &args.file, &project) {
        Ok(scenario) => {
            output::out!("{}", render(&scenario, args.format));
            Ok(())
        }
        Err(diagnostics) => {
            output::err!("{}", diagnostics.render(color));
            Err(InvalidInput::reported(format!("{} errors", diagnostics.len())).into())
        }
    }
}
