//! `warmup simulate`: scenarios over a date range on a virtual clock, against an in-memory
//! overlay of the store, every side effect captured.

use super::output;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;

use crate::cli::InvalidInput;
use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::{simulate_with_progress, Compiler, CustomerAccess, Setup};
use crate::project::Project;
use crate::report::SimulationReport;
use crate::scenario::compiled::Scenario;
use crate::scenario::{compile_str, load_scenarios};
use crate::store::Store;

/// Simulate scenarios day by day: per day × node counts and per day × mailbox provider sends.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Scenario files or folders (default: the project's scenarios).
    pub scenarios: Vec<PathBuf>,
    /// First simulated day (local date, `YYYY-MM-DD`).
    #[arg(long)]
    pub from: NaiveDate,
    /// Number of days.
    #[arg(long, default_value_t = 14)]
    pub days: u32,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the ramp chart (sends per provider per day, caps dashed) as SVG.
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
}

/// Runs `warmup simulate`.
pub fn run(project: Option<&Path>, args: SimulateArgs) -> anyhow::Result<()> {
    let (project, store) = super::customers::open_project_store(project)?;
    let paths = if args.scenarios.is_empty() {
        project.scenario_paths()
    } else {
        args.scenarios.clone()
    };
    let scenarios = compile_scenarios(&project, &paths)?;
    let report = simulate_report(&project, Arc::new(store), scenarios, args.from, args.days)?;
    output(&report, args.json, args.chart.as_deref())
}

/// Simulates and builds the report.
pub(crate) fn simulate_report(
    project: &Project,
    store: Arc<Store>,
    scenarios: Vec<Scenario>,
    from: NaiveDate,
    days: u32,
) -> anyhow::Result<SimulationReport> {
    if days == 0 {
        return Err(InvalidInput::new("--days must be at least 1").into());
    }
    let base: Arc<dyn CustomerAccess> = store;
    let setup = Setup {
        scenarios,
        providers: project.mailbox_providers(),
        compiler: compiler(project),
        from,
        days,
        keep_actions: false,
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(u64::from(days));
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} simulating day {pos}/{len} {wide_bar} {elapsed}",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let simulation = simulate_with_progress(base, setup, &mut |now| {
        let day = (now - start).num_days().clamp(0, i64::from(days)) as u64;
        bar.set_position(day);
    })
    .context("simulation failed")?;
    bar.finish_and_clear();
    Ok(simulation.engine.report(from, days)?)
}

/// Prints the report (table or JSON) and writes the chart.
pub(crate) fn output(
    report: &SimulationReport,
    json: bool,
    chart: Option<&Path>,
) -> anyhow::Result<()> {
    if json {
        output::outln!("{}", report.to_json());
    } else {
        output::out!("{}", report.render_table());
    }
    if let Some(chart) = chart {
        std::fs::write(chart, report.render_svg())
            .with_context(|| format!("cannot write the chart `{}`", chart.display()))?;
        if !json {
            output::outln!("chart written to {}", chart.display());
        }
    }
    Ok(())
}

/// Compiles scenarios, printing every problem (exit 2) when any file is invalid.
pub(crate) fn compile_scenarios(
    project: &Project,
    paths: &[PathBuf],
) -> anyhow::Result<Vec<Scenario>> {
    match load_scenarios(project, paths) {
        Ok(scenarios) => Ok(scenarios),
        Err(diagnostics) => {
            output::err!("{}", diagnostics.render(std::io::stderr().is_terminal()));
            Err(
                InvalidInput::reported(format!("{} errors in the scenarios", diagnostics.len()))
                    .into(),
            )
        }
    }
}

/// Compiles stored scenario versions (open runs keep the version that started them).
pub(crate) fn compiler(project: &Project) -> Compiler {
    let project = project.clone();
    Box::new(move |source: &str| {
        compile_str(source, Path::new("<stored scenario version>"), &project)
            .map_err(|diagnostics| diagnostics.render(false))
    })
}
