//! The engine: one pass over everything due ([`Engine::tick`]), run by `warmup tick`, by the
//! loop of `warmup run`, and step by step on a virtual clock by `warmup simulate`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use petgraph::graph::NodeIndex;

use super::actions_port::Actions;
use super::context::RunContext;
use super::customers::{CustomerAccess, CustomerView};
use super::error::{EngineError, Result};
use super::state::{Commit, DueGroup, EngineState, RunRecord, RunStatus, TriggerState};
use super::stop::StopFlag;
use super::token::{Origin, Token};
use super::wave::{Wave, WaveEnv, WaveSummary};
use crate::scenario::compiled::Scenario;

/// Compiles a stored scenario source (a version an open run is pinned to).
pub type Compiler = Box<dyn Fn(&str) -> std::result::Result<Scenario, String> + Send + Sync>;

/// What an engine is made of.
pub struct EngineParts {
    /// Customers.
    pub access: Arc<dyn CustomerAccess>,
    /// Engine state (sled or memory).
    pub state: EngineState,
    /// Side effects.
    pub actions: Arc<dyn Actions>,
    /// Mailbox-provider groups of the project.
    pub providers: BTreeMap<String, Vec<String>>,
    /// The current scenarios.
    pub scenarios: Vec<Scenario>,
    /// Compiles stored versions of scenarios.
    pub compiler: Compiler,
    /// Whether the state is on disk.
    pub durable: bool,
}

/// What a tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickSummary {
    /// Runs started.
    pub runs_started: u64,
    /// Runs whose interrupted entry was resumed.
    pub runs_resumed: u64,
    /// Waves processed.
    pub waves: u64,
    /// Tokens moved.
    pub tokens: u64,
    /// E-mails sent.
    pub emails: u64,
    /// E-mails not sent because an earlier attempt was not confirmed.
    pub uncertain: u64,
    /// Webhook calls.
    pub webhook_calls: u64,
    /// Customers whose step failed.
    pub failed: u64,
    /// The failures by node, with their most frequent reasons.
    pub failures: super::failures::FailureTally,
    /// Customers a Klaviyo list call had nothing to do for (no `klaviyo_id`): passed on.
    pub webhook_skipped: u64,
    /// E-mails not sent because the tick came too late for them (the node's `late` policy).
    pub late_skipped: u64,
    /// E-mails not sent because the customer already got one from another run of the
    /// scenario on the same local day.
    pub duplicates_skipped: u64,
    /// Scheduled fires that will never run (missed while the engine was down).
    pub missed_fires: u64,
}

impl TickSummary {
    /// Counts a wave.
    pub(super) fn add(&mut self, wave: WaveSummary) {
        self.waves += 1;
        self.tokens += wave.tokens;
        self.emails += wave.emails;
        self.uncertain += wave.uncertain;
        self.webhook_calls += wave.webhook_calls;
        self.failed += wave.failed;
        self.failures.absorb(&wave.failures);
        self.webhook_skipped += wave.webhook_skipped;
        self.late_skipped += wave.late_skipped;
        self.duplicates_skipped += wave.duplicates_skipped;
    }

    /// Adds another tick's counts (a simulation sums its ticks).
    pub(super) fn absorb(&mut self, tick: &TickSummary) {
        self.runs_started += tick.runs_started;
        self.runs_resumed += tick.runs_resumed;
        self.waves += tick.waves;
        self.tokens += tick.tokens;
        self.emails += tick.emails;
        self.uncertain += tick.uncertain;
        self.webhook_calls += tick.webhook_calls;
        self.failed += tick.failed;
        self.failures.absorb(&tick.failures);
        self.webhook_skipped += tick.webhook_skipped;
        self.late_skipped += tick.late_skipped;
        self.duplicates_skipped += tick.duplicates_skipped;
        self.missed_fires += tick.missed_fires;
    }
}

/// The engine.
pub struct Engine {
    pub(super) access: Arc<dyn CustomerAccess>,
    pub(super) state: EngineState,
    actions: Arc<dyn Actions>,
    env: minijinja::Environment<'static>,
    pub(super) providers: Arc<BTreeMap<String, Vec<String>>>,
    pub(super) scenarios: Vec<Arc<Scenario>>,
    compiler: Compiler,
    versions: Mutex<HashMap<(String, String), Arc<Scenario>>>,
    durable: bool,
    pub(super) stop: StopFlag,
}

impl Engine {
    /// An engine of these parts.
    pub fn new(parts: EngineParts) -> Self {
        Self {
            access: parts.access,
            state: parts.state,
            actions: parts.actions,
            env: crate::template::environment(),
            providers: Arc::new(parts.providers),
            scenarios: parts.scenarios.into_iter().map(Arc::new).collect(),
            compiler: parts.compiler,
            versions: Mutex::new(HashMap::new()),
            durable: parts.durable,
            stop: StopFlag::new(),
        }
    }

    /// The flag that stops this engine between e-mails, webhook calls and waves (shutdown
    /// of `warmup run`); a stopped tick returns [`EngineError::Stopped`].
    pub fn stop_flag(&self) -> StopFlag {
        self.stop.clone()
    }

    /// The engine's state.
    pub fn state(&self) -> &EngineState {
        &self.state
    }

    /// The current scenarios.
    pub fn scenarios(&self) -> &[Arc<Scenario>] {
        &self.scenarios
    }

    /// Records the current scenario versions and, for triggers seen for the first time, that
    /// they became active on `now`'s local day (see [`super::schedule::activation_floor`]).
    pub fn register(&self, now: DateTime<Utc>) -> Result<()> {
        let cursor = self.access.next_event_seq()?;
        let mut commit = Commit::new();
        for scenario in &self.scenarios {
            self.state
                .save_version(scenario.name(), scenario.version(), scenario.source())?;
            for &trigger in scenario.triggers() {
                let id = &scenario.node(trigger).id;
                if self.state.trigger_state(scenario.name(), id)?.is_none() {
                    let state = TriggerState {
                        origin: super::schedule::activation_floor(scenario.timezone(), now),
                        last_fired: None,
                        cursor,
                        missed: 0,
                        last_missed: None,
                    };
                    commit.put_trigger(scenario.name(), id, &state)?;
                }
            }
        }
        self.state.commit(commit)?;
        self.flush()
    }

    /// One pass over everything due at or before `now` (the real instant): resumes runs whose
    /// entry a crash interrupted, then processes scheduled fires and parked tokens in due
    /// order, each wave at its own due instant (the due module), then `on_event`
    /// triggers, and closes finished runs.
    pub fn tick(&self, now: DateTime<Utc>) -> Result<TickSummary> {
        self.register(now)?;
        self.read_feedback()?;
        // Before anything reads tokens or the ledger by customer id (see `state::merge`).
        self.state.hand_over_merges(self.access.as_ref())?;
        let mut summary = TickSummary::default();
        for run in self.state.runs()? {
            if run.status == RunStatus::Entering {
                summary.runs_resumed += 1;
                summary.add(self.enter(run, true, now)?);
            }
        }
        self.run_due(now, &mut summary)?;
        self.fire_event_triggers(now, &mut summary)?;
        self.close_runs()?;
        self.flush()?;
        Ok(summary)
    }

    pub(super) fn flush(&self) -> Result<()> {
        if self.durable {
            self.state.flush()?;
        }
        Ok(())
    }

    /// The next instant after `after` at which something is due: a trigger fire or a parked
    /// token.
    pub fn next_instant(&self, after: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let mut next = self.state.next_due()?.map(|g| g.due);
        for scenario in &self.scenarios {
            for &trigger in scenario.triggers() {
                let id = &scenario.node(trigger).id;
                let origin = self
                    .state
                    .trigger_state(scenario.name(), id)?
                    .map_or(after, |s| s.origin);
                let kind = &scenario.node(trigger).kind;
                if let Some(fire) =
                    super::schedule::next_fire(kind, scenario.timezone(), origin, after)
                {
                    next = Some(next.map_or(fire.at, |n: DateTime<Utc>| n.min(fire.at)));
                }
            }
        }
        Ok(next)
    }

    /// The scenario version a run executes.
    pub fn scenario_of(&self, run: &RunRecord) -> Result<Arc<Scenario>> {
        if let Some(current) = self
            .scenarios
            .iter()
            .find(|s| s.name() == run.scenario && s.version() == run.version)
        {
            return Ok(current.clone());
        }
        let key = (run.scenario.clone(), run.version.clone());
        let mut versions = self.versions.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = versions.get(&key) {
            return Ok(found.clone());
        }
        let fail = |reason: String| EngineError::Version {
            scenario: run.scenario.clone(),
            version: run.version.clone(),
            reason,
        };
        let source = self
            .state
            .version_source(&run.scenario, &run.version)?
            .ok_or_else(|| fail("its source is not in the store".into()))?;
        let scenario = Arc::new((self.compiler)(&source).map_err(fail)?);
        versions.insert(key, scenario.clone());
        Ok(scenario)
    }

    pub(super) fn context(&self, run: RunRecord) -> Result<RunContext> {
        let scenario = self.scenario_of(&run)?;
        Ok(RunContext::new(run, scenario, self.providers.clone()))
    }

    pub(super) fn wave_env(&self, real: DateTime<Utc>) -> WaveEnv<'_> {
        WaveEnv {
            access: self.access.as_ref(),
            state: &self.state,
            actions: self.actions.as_ref(),
            env: &self.env,
            durable: self.durable,
            stop: &self.stop,
            real,
        }
    }

    /// Enters a run's audience (the trigger wave), at the run's fire instant; `now` is the
    /// real instant. On `replay` (after a crash), customers who already hold a token are
    /// skipped: a customer enters a run at most once.
    pub(super) fn enter(
        &self,
        run: RunRecord,
        replay: bool,
        now: DateTime<Utc>,
    ) -> Result<WaveSummary> {
        let context = self.context(run.clone())?;
        let trigger =
            context
                .scenario
                .index_of(&run.trigger)
                .ok_or_else(|| EngineError::Corrupt {
                    what: "run",
                    detail: format!("run {} names unknown trigger `{}`", run.id, run.trigger),
                })?;
        let env = self.wave_env(now);
        let mut wave = Wave::new(&env, &context, run.fired_at);
        let mut entered = 0u64;
        let state = &self.state;
        let mut enter_one = |wave: &mut Wave<'_>,
                             customer: CustomerView,
                             event: Option<serde_json::Value>|
         -> Result<()> {
            if replay && state.token(run.id, customer.id)?.is_some() {
                return Ok(());
            }
            entered += 1;
            wave.enter_at_trigger(
                trigger,
                Token::new(customer, event.map(Arc::new), Origin::Entered),
            )
        };
        if run.events.is_empty() {
            self.access.for_each_customer(&mut |customer| {
                enter_one(&mut wave, customer, None)?;
                Ok(super::customers::Flow::Continue)
            })?;
        } else {
            for (id, event) in &run.events {
                if let Some(customer) = self.access.customer(*id)? {
                    enter_one(&mut wave, customer, Some(event.clone()))?;
                }
            }
        }
        let mut done = run;
        done.status = RunStatus::Open;
        done.entered += entered;
        let mut last = Commit::new();
        last.put_run(&done)?;
        let summary = wave.finish(last)?;
        self.flush()?;
        Ok(summary)
    }

    /// Wakes a group of parked tokens as one wave, at their due instant; `now` is the real
    /// instant.
    pub(super) fn wake(&self, group: DueGroup, now: DateTime<Utc>) -> Result<WaveSummary> {
        let run = self
            .state
            .run(group.run)?
            .ok_or_else(|| EngineError::Corrupt {
                what: "due index",
                detail: format!("parked tokens of unknown run {}", group.run),
            })?;
        let context = self.context(run)?;
        let node = NodeIndex::new(group.node as usize);
        let env = self.wave_env(now);
        let mut wave = Wave::new(&env, &context, group.due);
        let mut after = None;
        let mut stale = 0;
        loop {
            let customers = self.state.due_customers(group, after, 1024)?;
            let Some(&last) = customers.last() else {
                break;
            };
            for id in customers {
                let Some(record) = self.state.parked_token(group, id)? else {
                    stale += 1;
                    tracing::warn!(
                        run = group.run,
                        customer = id,
                        "removed a parked entry without its token"
                    );
                    continue;
                };
                let event = record.event.map(Arc::new);
                let customer = self.access.customer(id)?.unwrap_or(CustomerView {
                    id,
                    ..CustomerView::default()
                });
                if customer.id != id {
                    // Merged while this tick runs: the token moves under the survivor (or
                    // yields to the survivor's own), which the next pass wakes.
                    self.state.hand_over_in_run(&context.run, id, customer.id)?;
                    continue;
                }
                wave.wake(
                    node,
                    Token::new(customer, event, Origin::Woken(group.node, group.due)),
                )?;
            }
            after = Some(last);
        }
        let mut summary = wave.finish(Commit::new())?;
        summary.failed += stale;
        self.flush()?;
        Ok(summary)
    }

    /// Marks open runs without parked tokens as done.
    fn close_runs(&self) -> Result<()> {
        let mut commit = Commit::new();
        for mut run in self.state.runs()? {
            if run.status == RunStatus::Open && self.state.parked(run.id)? <= 0 {
                run.status = RunStatus::Done;
                commit.put_run(&run)?;
            }
        }
        self.state.commit(commit)
    }
}
