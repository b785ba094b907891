//! `warmup demo`: the plan-driven warm-up on generated customers, end to end, offline.
//!
//! In a fresh project folder it writes the example project file, the plan-driven scenario and
//! its e-mail templates (the repository's own files, embedded at build time), generates
//! sample customers, imports them, simulates the 14 sending days, prints the table and
//! writes the ramp chart. Nothing touches the network.

use super::output;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;

use crate::cli::InvalidInput;
use crate::import::{import_customers, CustomerImportOptions};
use crate::project::Project;
use crate::sample::Sample;
use crate::store::Store;

/// The example project file.
const PROJECT: &str = include_str!("../../warmup.yaml");
/// The plan-driven example scenario.
const SCENARIO: &str = include_str!("../../scenarios/plan-driven.yaml");

macro_rules! day_templates {
    ($($day:literal),*) => {
        &[$((
            concat!("day-", $day),
            include_str!(concat!("../../templates/day-", $day, "/subject.txt")),
            include_str!(concat!("../../templates/day-", $day, "/body.html")),
            include_str!(concat!("../../templates/day-", $day, "/body.txt")),
        )),*]
    };
}

/// The day templates of the plan-driven scenario: (folder, subject, HTML, text).
const TEMPLATES: &[(&str, &str, &str, &str)] =
    day_templates!("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14");

/// The first sending day of the example plan.
const FIRST_DAY: (i32, u32, u32) = (2026, 12, 1);

/// Simulate the plan-driven warm-up on generated customers (no network).
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many sample customers to generate.
    #[arg(long, default_value_t = 20_000)]
    pub customers: u64,
    /// Folder for the demo project (kept); default: a temporary folder, removed afterwards.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed of the sample generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Runs `warmup demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let (dir, temporary) = match &args.out {
        Some(dir) => (dir.clone(), false),
        None => (fresh_temp_dir()?, true),
    };
    let result = demo(&dir, &args);
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn demo(dir: &Path, args: &DemoArgs) -> anyhow::Result<()> {
    write_project(dir)?;
    let project = Project::load(Some(&dir.join("warmup.yaml")))
        .map_err(|e| InvalidInput::new(e.to_string()))?;
    let store = Store::open(&project.store_dir()).context("cannot open the demo store")?;
    let csv = dir.join("engaged-90.csv");
    let file =
        std::fs::File::create(&csv).with_context(|| format!("cannot write `{}`", csv.display()))?;
    Sample::new(args.seed)
        .write_csv(std::io::BufWriter::new(file), args.customers)
        .context("cannot write the sample customers")?;
    let options = CustomerImportOptions {
        columns: project.file.import.columns.clone(),
        consent_category: project.file.import.consent_category.clone(),
        tag: Some("engaged-90".into()),
        rejects: None,
    };
    let summary = import_customers(&store, &csv, &options, &mut |_| {})?;
    // Offline, the sample stands in for the Klaviyo sync: who is in the exclusion list and
    // in the "Engaged (90 Days)" segment.
    let sample = Sample::new(args.seed);
    let members = crate::sample_memberships::record(&store, &sample, args.customers)?;
    store.flush()?;
    output::errln!(
        "demo project in {}: imported {} sample customers ({members} in a Klaviyo list or segment)",
        dir.display(),
        store.count()
    );
    drop(summary);
    let scenarios = super::simulate::compile_scenarios(&project, &project.scenario_paths())?;
    let (y, m, d) = FIRST_DAY;
    let from = NaiveDate::from_ymd_opt(y, m, d).context("the demo's first day")?;
    let report = super::simulate::simulate_report(&project, Arc::new(store), scenarios, from, 14)?;
    let chart = match &args.out {
        Some(out) => out.join("ramp.svg"),
        None => PathBuf::from("warmup-demo-ramp.svg"),
    };
    super::simulate::output(&report, false, Some(&chart))
}

/// Writes the example project, the plan-driven scenario and its templates into `dir`.
fn write_project(dir: &Path) -> anyhow::Result<()> {
    let write = |path: PathBuf, text: &str| -> anyhow::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write `{}`", path.display()))
    };
    write(dir.join("warmup.yaml"), PROJECT)?;
    write(dir.join("scenarios/plan-driven.yaml"), SCENARIO)?;
    for (name, subject, html, text) in TEMPLATES {
        let folder = dir.join("templates").join(name);
        write(folder.join("subject.txt"), subject)?;
        write(folder.join("body.html"), html)?;
        write(folder.join("body.txt"), text)?;
    }
    Ok(())
}

fn fresh_temp_dir() -> anyhow::Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("warmup-demo-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    Ok(dir)
}
