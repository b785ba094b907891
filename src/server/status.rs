//! `GET /status`: what `warmup status` prints, as JSON — runs with their scenario versions
//! and per-node counts, parked tokens by due time, next fires, and e-mails a crash left
//! uncertain.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use petgraph::graph::NodeIndex;
use serde::{Deserialize, Serialize};

use super::{ApiError, ServerState};
use crate::engine::state::{LedgerState, RunRecord, RunStatus};
use crate::engine::{Engine, EngineError};

/// The status document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// Runs, oldest first.
    pub runs: Vec<RunStatusReport>,
    /// Parked tokens grouped by due instant, run and node, in due order.
    pub parked: Vec<ParkedGroup>,
    /// The next fire of every trigger.
    pub next_fires: Vec<NextFire>,
    /// E-mails whose send a crash left unconfirmed (reported, never resent).
    pub emails: EmailLedger,
}

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStatusReport {
    /// Run id.
    pub id: u64,
    /// Scenario name.
    pub scenario: String,
    /// Scenario version the run is pinned to.
    pub version: String,
    /// Whether that version is the scenario's current one.
    pub current_version: bool,
    /// Trigger node id.
    pub trigger: String,
    /// When it fired.
    pub fired_at: DateTime<Utc>,
    /// `day` of a repeat trigger.
    pub day: Option<u32>,
    /// `entering`, `open` or `done`.
    pub status: RunStatus,
    /// Customers that entered.
    pub entered: u64,
    /// Tokens still parked.
    pub parked: i64,
    /// Node id → metric (`entered`, `failed`, a port name) → count.
    pub nodes: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Tokens parked at one node of one run until one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParkedGroup {
    /// When they move on.
    pub due: DateTime<Utc>,
    /// Run id.
    pub run: u64,
    /// Node id.
    pub node: String,
    /// How many.
    pub count: u64,
}

/// When a trigger fires next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextFire {
    /// Scenario name.
    pub scenario: String,
    /// Trigger node id.
    pub trigger: String,
    /// The instant, or `null` for `on_event` triggers and finished schedules.
    pub at: Option<DateTime<Utc>>,
    /// `day` of that fire (repeat triggers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<u32>,
    /// `on_event` triggers fire on each matching event.
    pub on_event: bool,
}

/// The e-mail ledger's open entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailLedger {
    /// Sends a crash interrupted: reported, not resent.
    pub uncertain: usize,
    /// Sends written as intent and not yet confirmed.
    pub awaiting_confirmation: usize,
    /// Which sends are uncertain.
    pub uncertain_sends: Vec<UncertainSend>,
}

/// An e-mail whose send a crash interrupted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncertainSend {
    /// Run id.
    pub run: u64,
    /// E-mail node id.
    pub node: String,
    /// Customer id.
    pub customer: u64,
}

/// Query of `GET /status`.
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    /// Only this scenario.
    pub scenario: Option<String>,
}

/// `GET /status[?scenario=NAME]`.
pub async fn status(
    State(state): State<ServerState>,
    Query(query): Query<StatusQuery>,
) -> Result<Json<StatusReport>, ApiError> {
    let Some(engine) = state.engine().cloned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no engine in this process: start the server with `warmup run` or `warmup serve` on a project",
        ));
    };
    let report = tokio::task::spawn_blocking(move || {
        StatusReport::collect(&engine, query.scenario.as_deref(), Utc::now())
    })
    .await
    .map_err(|join| ApiError::internal(format!("status task failed: {join}")))?
    .map_err(|error| ApiError::internal(format!("cannot read the engine state: {error}")))?;
    Ok(Json(report))
}

impl StatusReport {
    /// Reads the engine's state (only `scenario`'s runs and triggers when given).
    pub fn collect(
        engine: &Engine,
        scenario: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, EngineError> {
        let wanted = |name: &str| scenario.is_none_or(|only| only == name);
        let state = engine.state();
        let records: Vec<RunRecord> = state
            .runs()?
            .into_iter()
            .filter(|run| wanted(&run.scenario))
            .collect();
        let mut runs = Vec::with_capacity(records.len());
        for run in &records {
            runs.push(run_report(engine, run)?);
        }
        let mut parked = Vec::new();
        for (group, count) in state.due_summary()? {
            let Some(run) = records.iter().find(|run| run.id == group.run) else {
                continue;
            };
            parked.push(ParkedGroup {
                due: group.due,
                run: group.run,
                node: node_id(engine, run, group.node),
                count,
            });
        }
        Ok(Self {
            generated_at: now,
            runs,
            parked,
            next_fires: next_fires(engine, &wanted, now)?,
            emails: email_ledger(engine)?,
        })
    }
}

fn email_ledger(engine: &Engine) -> Result<EmailLedger, EngineError> {
    let state = engine.state();
    let uncertain = state.ledger_in(LedgerState::Uncertain)?;
    let runs = state.runs()?;
    let uncertain_sends = uncertain
        .iter()
        .map(|&(run, node, customer)| UncertainSend {
            run,
            node: runs.iter().find(|record| record.id == run).map_or_else(
                || format!("#{node}"),
                |record| node_id(engine, record, node),
            ),
            customer,
        })
        .collect();
    Ok(EmailLedger {
        uncertain: uncertain.len(),
        awaiting_confirmation: state.ledger_in(LedgerState::Intent)?.len(),
        uncertain_sends,
    })
}

fn run_report(engine: &Engine, run: &RunRecord) -> Result<RunStatusReport, EngineError> {
    let state = engine.state();
    let mut nodes: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for counter in state.counters(Some(run.id))? {
        *nodes
            .entry(counter.node)
            .or_default()
            .entry(counter.metric)
            .or_insert(0) += counter.value;
    }
    Ok(RunStatusReport {
        id: run.id,
        scenario: run.scenario.clone(),
        version: run.version.clone(),
        current_version: engine
            .scenarios()
            .iter()
            .any(|s| s.name() == run.scenario && s.version() == run.version),
        trigger: run.trigger.clone(),
        fired_at: run.fired_at,
        day: run.day,
        status: run.status,
        entered: run.entered,
        parked: state.parked(run.id)?,
        nodes,
    })
}

/// The id of node `index` in the scenario version of `run`.
fn node_id(engine: &Engine, run: &RunRecord, index: u32) -> String {
    engine
        .scenario_of(run)
        .ok()
        .and_then(|scenario| {
            scenario
                .graph()
                .node_weight(NodeIndex::new(index as usize))
                .map(|node| node.id.clone())
        })
        .unwrap_or_else(|| format!("#{index}"))
}

fn next_fires(
    engine: &Engine,
    wanted: &dyn Fn(&str) -> bool,
    now: DateTime<Utc>,
) -> Result<Vec<NextFire>, EngineError> {
    let mut fires = Vec::new();
    for scenario in engine.scenarios().iter().filter(|s| wanted(s.name())) {
        let scenario = Arc::clone(scenario);
        for &trigger in scenario.triggers() {
            let node = scenario.node(trigger);
            let fire = engine.next_fire_of(&scenario, &node.id, now)?;
            fires.push(NextFire {
                scenario: scenario.name().to_owned(),
                trigger: node.id.clone(),
                at: fire.as_ref().map(|fire| fire.at),
                day: fire.and_then(|fire| fire.day),
                on_event: node.kind.name() == "on_event",
            });
        }
    }
    Ok(fires)
}
