//! Command-line interface: one file per subcommand, wired together here.
//!
//! Every subcommand returns `anyhow::Result<()>`. An error that wraps
//! [`InvalidInput`] exits with code 2, an import that rejected rows with code 4, any
//! other error with code 1. Output goes through [`output`], which never panics on a
//! closed pipe.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod customers;
mod demo;
mod graph;
mod import;
mod invalid_input;
mod klaviyo_fake;
mod logging;
pub(crate) mod output;
mod preflight_gate;
mod run;
mod run_sync;
mod schema;
mod serve;
mod serve_recovery;
mod simulate;
mod status;
mod status_fires;
mod steps_failed;
mod store;
mod sync;
mod tick;
mod tick_report;
mod uncertain;
mod validate;

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
    /// Check scenario files and the project file; report every problem at once.
    Validate(validate::ValidateArgs),
    /// Print a scenario's compiled DAG (Graphviz dot or Mermaid).
    Graph(graph::GraphArgs),
    /// Import customers (Klaviyo CSV export) or events (JSON Lines) into the store.
    Import(import::ImportArgs),
    /// Show a customer or count customers.
    Customers(customers::CustomersArgs),
    /// Simulate scenarios day by day on a copy of the store; nothing is sent or written.
    Simulate(simulate::SimulateArgs),
    /// Run everything that is due now (or at --now) and exit: for cron or a systemd timer.
    Tick(tick::TickArgs),
    /// Run the engine until interrupted (SIGINT/SIGTERM stop it at the next e-mail, call or wave).
    Run(run::RunArgs),
    /// Show runs and their versions, per-node counts, parked tokens and next fires.
    Status(status::StatusArgs),
    /// Maintain the store folder (compact it after a large import).
    Store(store::StoreArgs),
    /// Simulate the plan-driven warm-up on generated customers in a fresh project (no network).
    Demo(demo::DemoArgs),
    /// Serve the HTTP API (ingest, unsubscribe, health, metrics, status) without the scheduler.
    Serve(serve::ServeArgs),
    /// Serve a fake Klaviyo API with a generated account (demos, tests, benchmarks).
    KlaviyoFake(klaviyo_fake::KlaviyoFakeArgs),
    /// Sync customers, consent and campaign events from an external system (Klaviyo).
    Sync(sync::SyncArgs),
    /// List the e-mails a crash left uncertain; dismiss or resend them deliberately.
    Uncertain(uncertain::UncertainArgs),
}

/// Parses the command line, runs it, prints any error and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::install();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Schema(args) => schema::run(args),
        Command::Validate(args) => validate::run(args, cli.project.as_deref()),
        Command::Graph(args) => graph::run(args, cli.project.as_deref()),
        Command::Import(args) => import::run(cli.project.as_deref(), args),
        Command::Customers(args) => customers::run(cli.project.as_deref(), args),
        Command::Simulate(args) => simulate::run(cli.project.as_deref(), args),
        Command::Tick(args) => tick::run(cli.project.as_deref(), args),
        Command::Run(args) => run::run(cli.project.as_deref(), args),
        Command::Status(args) => status::run(cli.project.as_deref(), args),
        Command::Store(args) => store::run(cli.project.as_deref(), args),
        Command::Demo(args) => demo::run(args),
        Command::Serve(args) => serve::run(cli.project.as_deref(), args),
        Command::KlaviyoFake(args) => klaviyo_fake::run(args),
        Command::Sync(args) => sync::run(cli.project.as_deref(), args),
        Command::Uncertain(args) => uncertain::run(cli.project.as_deref(), args),
    }
}

fn report(error: &anyhow::Error) -> ExitCode {
    if error.downcast_ref::<import::RowsRejected>().is_some() {
        output::errln!("error: {error:#}");
        return ExitCode::from(import::RowsRejected::EXIT_CODE);
    }
    if error.downcast_ref::<steps_failed::StepsFailed>().is_some() {
        // The tick's summary already said which nodes failed and why.
        return ExitCode::from(steps_failed::STEPS_FAILED_EXIT);
    }
    if let Some(invalid) = error.downcast_ref::<InvalidInput>() {
        if !invalid.already_reported() {
            output::errln!("error: {error:#}");
        }
        return ExitCode::from(2);
    }
    output::errln!("error: {error:#}");
    ExitCode::from(1)
}
