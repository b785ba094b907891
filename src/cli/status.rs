//! `warmup status`: runs and their versions, per-node counts, parked tokens by due time,
//! next fires, and e-mails whose sending a crash left uncertain.

use super::output;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::engine::state::LedgerState;
use crate::engine::Engine;

/// Show runs, counts, parked tokens and next fires.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Only this scenario (by name).
    pub scenario: Option<String>,
    /// The instant to report at (RFC 3339), as given to `tick --now`: next fires at or
    /// before it are shown as due at the next tick. Next fires themselves follow from what
    /// already ran, as recorded in the store.
    #[arg(long, value_parser = super::tick::parse_instant)]
    pub now: Option<DateTime<Utc>>,
}

/// Runs `warmup status`.
pub fn run(project: Option<&Path>, args: StatusArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let engine = super::tick::open_engine(project, true, runtime.handle())?;
    output::out!(
        "{}",
        render(&engine, args.scenario.as_deref(), args.now)
            .context("cannot read the engine state")?
    );
    Ok(())
}

/// The status text; next fires at or before `now` are marked due.
pub fn render(
    engine: &Engine,
    only: Option<&str>,
    now: Option<DateTime<Utc>>,
) -> crate::engine::Result<String> {
    let state = engine.state();
    let wanted = |name: &str| only.is_none_or(|only| only == name);
    let mut out = String::new();
    let runs: Vec<_> = state
        .runs()?
        .into_iter()
        .filter(|r| wanted(&r.scenario))
        .collect();
    let _ = writeln!(out, "runs: {}", runs.len());
    for run in &runs {
        let current = engine
            .scenarios()
            .iter()
            .any(|s| s.name() == run.scenario && s.version() == run.version);
        let _ = writeln!(
            out,
            "  run {} {} version {}{} trigger {} fired {} day {} status {:?} entered {} parked {}",
            run.id,
            run.scenario,
            run.version,
            if current { "" } else { " (older version)" },
            run.trigger,
            run.fired_at.to_rfc3339(),
            run.day.map_or("-".to_owned(), |d| d.to_string()),
            run.status,
            run.entered,
            state.parked(run.id)?,
        );
        let mut nodes: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for counter in state.counters(Some(run.id))? {
            *nodes
                .entry(counter.node)
                .or_default()
                .entry(counter.metric)
                .or_insert(0) += counter.value;
        }
        for (node, metrics) in nodes {
            let metrics: Vec<String> = metrics.iter().map(|(m, v)| format!("{m} {v}")).collect();
            let _ = writeln!(out, "    {node}: {}", metrics.join(", "));
        }
        for (node, failures) in state.failure_reasons(run.id)? {
            let text = crate::engine::failures::describe(&failures, 3);
            let _ = writeln!(out, "    {node} {text}");
        }
    }
    let _ = writeln!(out, "parked tokens by due time:");
    for (group, count) in state.due_summary()? {
        let Some(run) = runs.iter().find(|r| r.id == group.run) else {
            continue;
        };
        let node = engine
            .scenario_of(run)
            .ok()
            .and_then(|s| {
                s.graph()
                    .node_weight(petgraph::graph::NodeIndex::new(group.node as usize))
                    .map(|n| n.id.clone())
            })
            .unwrap_or_else(|| format!("#{}", group.node));
        let _ = writeln!(
            out,
            "  {} run {} node {node}: {count}",
            group.due.to_rfc3339(),
            group.run
        );
    }
    super::status_fires::next_fires(&mut out, engine, &wanted, now)?;
    let uncertain = state.ledger_in(LedgerState::Uncertain)?;
    let pending = state.ledger_in(LedgerState::Intent)?;
    let _ = writeln!(
        out,
        "e-mails left uncertain by a crash (not resent): {}; awaiting confirmation: {}",
        uncertain.len(),
        pending.len()
    );
    let all_runs = state.runs()?;
    for (run, node, customer) in uncertain.iter().take(20) {
        let id = all_runs
            .iter()
            .find(|r| r.id == *run)
            .and_then(|r| engine.scenario_of(r).ok())
            .and_then(|s| {
                s.graph()
                    .node_weight(petgraph::graph::NodeIndex::new(*node as usize))
                    .map(|n| n.id.clone())
            })
            .unwrap_or_else(|| format!("#{node}"));
        let _ = writeln!(out, "  run {run} node {id} customer {customer}");
    }
    Ok(out)
}
