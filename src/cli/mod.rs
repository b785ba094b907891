//! Command-line interface: one file per subcommand, wired together here.
//!
//! Every subcommand returns `anyhow::Result<()>`. An error that wraps
//! [`InvalidInput`] exits with code 2, any other error with code 1.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod invalid_input;
mod klaviyo_fake;
mod schema;

pub use invalid_input::InvalidInput;

/// A declarative workflow engine that moves a brand's email sending off Klaviyo gradually.
#[derive(Debug, Parser)]
#[command(name = "warmup", version, about, long_about = None)]
pub struct Cli {
    /// Project file (default: `warmup.yaml` in the working directory).
    #[arg(long, global = true, env = "WARMUP_PROJECT")]
    pub project: Option<std::path::PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the JSON Schemas of the project and scenario files.
    Schema(schema::SchemaArgs),
    /// Serve a fake Klaviyo API with a generated account (demos, tests, benchmarks).
    KlaviyoFake(klaviyo_fake::KlaviyoFakeArgs),
}

/// Parses the command line, runs it, prints any error and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Schema(args) => schema::run(args),
        Command::KlaviyoFake(args) => klaviyo_fake::run(args),
    }
}

fn report(error: &anyhow::Error) -> ExitCode {
    if let Some(invalid) = error.downcast_ref::<InvalidInput>() {
        if !invalid.already_reported() {
            eprintln!("error: {error:#}");
        }
        return ExitCode::from(2);
    }
    eprintln!("error: {error:#}");
    ExitCode::from(1)
}
