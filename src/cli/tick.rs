//! `warmup tick`: one pass over everything due, for cron or a systemd timer.

use super::output;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::cli::InvalidInput;
use crate::engine::project_actions::ProjectActions;
use crate::engine::state::SledKv;
use crate::engine::{Actions, CapturingActions, Engine, EngineParts, EngineState, TickSummary};
use crate::project::Project;
use crate::store::Store;

/// The file under the store folder where captured actions are journaled.
pub const CAPTURE_JOURNAL: &str = "captured-actions.jsonl";

/// Run everything that is due now (or at `--now`) and exit.
#[derive(Debug, clap::Args)]
pub struct TickArgs {
    /// The instant to run at (RFC 3339), instead of the current time.
    #[arg(long, value_parser = parse_instant)]
    pub now: Option<DateTime<Utc>>,
    /// Record e-mails and webhook calls in the store folder's `captured-actions.jsonl`
    /// instead of sending them (dry runs, tests).
    #[arg(long)]
    pub capture: bool,
    /// Print the summary as one JSON object (counts, and per node the failed customers with
    /// the most frequent reasons) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Parses an RFC 3339 instant.
pub(crate) fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| {
            format!("`{text}` is not an RFC 3339 date-time (e.g. 2026-12-01T09:00:00Z): {e}")
        })
}

/// Runs `warmup tick`.
pub fn run(project: Option<&Path>, args: TickArgs) -> anyhow::Result<()> {
    super::preflight_gate::gate(project, args.capture)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let engine = open_engine(project, args.capture, runtime.handle())?;
    let now = args.now.unwrap_or_else(Utc::now);
    let summary = engine.tick(now).context("tick failed")?;
    if args.json {
        let report = super::tick_report::TickReport::new(now, &summary);
        output::outln!(
            "{}",
            serde_json::to_string(&report).context("cannot write the summary")?
        );
    } else {
        output::outln!("{}", describe(now, &summary));
    }
    if summary.failed > 0 {
        return Err(super::steps_failed::StepsFailed {
            failed: summary.failed,
        }
        .into());
    }
    Ok(())
}

/// One line about a tick, then one per node where customers failed a step.
pub(crate) fn describe(now: DateTime<Utc>, summary: &TickSummary) -> String {
    let mut line = format!(
        "tick at {}: {} runs started, {} resumed, {} waves, {} tokens, {} e-mails, {} webhook calls",
        now.to_rfc3339(),
        summary.runs_started,
        summary.runs_resumed,
        summary.waves,
        summary.tokens,
        summary.emails,
        summary.webhook_calls
    );
    if summary.failed > 0 {
        line.push_str(&format!(
            "; {} customers failed a step (per node in `warmup status`)",
            summary.failed
        ));
    }
    if summary.webhook_skipped > 0 {
        line.push_str(&format!(
            "; {} customers without a Klaviyo profile passed a Klaviyo list call (nothing to do)",
            summary.webhook_skipped
        ));
    }
    describe_time(&mut line, summary);
    if summary.uncertain > 0 {
        line.push_str(&format!(
            "; {} e-mails were being sent when the engine stopped and are not resent (see `warmup uncertain list`)",
            summary.uncertain
        ));
    }
    for failures in super::tick_report::failure_lines(summary) {
        line.push('\n');
        line.push_str(&failures);
    }
    line
}

/// What the tick decided about time: late sends skipped, same-day duplicates skipped,
/// scheduled fires missed while the engine was down.
fn describe_time(line: &mut String, summary: &TickSummary) {
    if summary.late_skipped > 0 {
        line.push_str(&format!(
            "; {} e-mails skipped as too late (their node's `late` policy)",
            summary.late_skipped
        ));
    }
    if summary.duplicates_skipped > 0 {
        line.push_str(&format!(
            "; {} e-mails skipped: the customer already got one from this scenario that day",
            summary.duplicates_skipped
        ));
    }
    if summary.missed_fires > 0 {
        line.push_str(&format!(
            "; {} scheduled fires missed while the engine was down (see `warmup status`)",
            summary.missed_fires
        ));
    }
}

/// Opens the project, its store and scenarios, and an engine with durable state.
pub(crate) fn open_engine(
    project: Option<&Path>,
    capture: bool,
    runtime: &tokio::runtime::Handle,
) -> anyhow::Result<Engine> {
    open_engine_sharing(project, capture, runtime).map(|(_, _, engine)| engine)
}

/// [`open_engine`], also handing out the project and the store the engine reads, so that
/// `run` and `serve` can serve HTTP on the same store.
pub(crate) fn open_engine_sharing(
    project: Option<&Path>,
    capture: bool,
    runtime: &tokio::runtime::Handle,
) -> anyhow::Result<(Project, Arc<Store>, Engine)> {
    let (project, store) = super::customers::open_project_store(project)?;
    let store = Arc::new(store);
    let scenarios = super::simulate::compile_scenarios(&project, &project.scenario_paths())?;
    let kv = SledKv::open(store.db()).context("cannot open the engine state")?;
    let actions = actions(&project, &store, capture, runtime)?;
    let engine = Engine::new(EngineParts {
        access: Arc::clone(&store) as Arc<dyn crate::engine::CustomerAccess>,
        state: EngineState::new(Box::new(kv)),
        actions,
        providers: project.mailbox_providers(),
        scenarios,
        compiler: super::simulate::compiler(&project),
        durable: true,
    });
    Ok((project, store, engine))
}

/// The actions of `tick` and `run`: the project's senders, or captured to a journal in the
/// store folder.
fn actions(
    project: &Project,
    store: &Store,
    capture: bool,
    runtime: &tokio::runtime::Handle,
) -> anyhow::Result<Arc<dyn Actions>> {
    if !capture {
        let senders = ProjectActions::new(project, runtime.clone()).map_err(anyhow::Error::msg)?;
        return Ok(Arc::new(senders));
    }
    let journal = store.path().join(CAPTURE_JOURNAL);
    let capturing = CapturingActions::with_journal(&journal)
        .map_err(|e| InvalidInput::new(format!("cannot open `{}`: {e}", journal.display())))?;
    Ok(Arc::new(capturing))
}
