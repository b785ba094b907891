//! Starting runs: `on_date` and `repeat` fires that are due, and `on_event` triggers fed by
//! the events recorded since they last looked.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::customers::LoggedCustomerEvent;
use super::error::Result;
use super::predicate::filter_matches;
use super::runner::{Engine, TickSummary};
use super::schedule::{owed, Fire, TICK_TOLERANCE};
use super::state::{Commit, RunRecord, RunStatus, TriggerState};
use crate::scenario::compiled::{NodeKind, OnEvent, Scenario};
use crate::store::CONSENT_EVENT;

/// Whether a logged event may fire an `on_event` trigger that became active at `origin`: it
/// happened after the scenario became active (an import of old history recorded later does not
/// count), and, for consent, it changed the customer's decision (a repeated decision, such as
/// Klaviyo reporting back the unsubscribe a scenario asked for, settles instead of looping).
fn fires_on(logged: &LoggedCustomerEvent, origin: DateTime<Utc>) -> bool {
    logged.event.timestamp >= origin
        && (logged.event.event_type != CONSENT_EVENT || logged.consent_changed)
}

/// A scheduled fire a tick owes: which trigger, and the fire (its instant orders it among
/// the tick's other due work).
#[derive(Debug, Clone)]
pub(super) struct DueFire {
    /// Position of the scenario in the engine's list (ties: scenario order).
    pub scenario: usize,
    /// The trigger's node id.
    pub trigger: String,
    /// The fire.
    pub fire: Fire,
}

impl Engine {
    /// The scheduled fires due at or before `now`, one per trigger, earliest first (ties in
    /// scenario order, then trigger order); fires that will never run are recorded as missed.
    pub(super) fn owed_fires(
        &self,
        now: DateTime<Utc>,
        summary: &mut TickSummary,
    ) -> Result<Vec<DueFire>> {
        let mut due = Vec::new();
        let mut commit = Commit::new();
        for (position, scenario) in self.scenarios.iter().enumerate() {
            for &trigger in scenario.triggers() {
                let node = scenario.node(trigger);
                if matches!(node.kind, NodeKind::OnEvent(_)) {
                    continue;
                }
                let Some(state) = self.state.trigger_state(scenario.name(), &node.id)? else {
                    continue;
                };
                let tz = scenario.timezone();
                let owed = owed(
                    &node.kind,
                    tz,
                    state.origin,
                    state.floor(),
                    now,
                    TICK_TOLERANCE,
                );
                if owed.missed > 0 {
                    summary.missed_fires += u64::from(owed.missed);
                    tracing::warn!(
                        scenario = scenario.name(),
                        trigger = %node.id,
                        missed = owed.missed,
                        "scheduled fires missed while the engine was down; they will not run"
                    );
                    let missed = TriggerState {
                        missed: state.missed.saturating_add(owed.missed),
                        last_missed: owed.last_missed,
                        ..state
                    };
                    commit.put_trigger(scenario.name(), &node.id, &missed)?;
                }
                if let Some(fire) = owed.run {
                    due.push(DueFire {
                        scenario: position,
                        trigger: node.id.clone(),
                        fire,
                    });
                }
            }
        }
        self.state.commit(commit)?;
        // A stable sort keeps scenario and trigger order among fires at one instant.
        due.sort_by_key(|d| d.fire.at);
        Ok(due)
    }

    /// Starts the run of a due fire and enters its audience, at the fire's instant.
    pub(super) fn start_fire(
        &self,
        due: &DueFire,
        now: DateTime<Utc>,
        summary: &mut TickSummary,
    ) -> Result<()> {
        let scenario = self.scenarios[due.scenario].clone();
        let Some(state) = self.state.trigger_state(scenario.name(), &due.trigger)? else {
            return Ok(());
        };
        if state.last_fired.is_some_and(|last| last >= due.fire.at) {
            return Ok(()); // never twice
        }
        let run = self.new_run(
            &scenario,
            &due.trigger,
            due.fire.at,
            due.fire.day,
            Vec::new(),
        )?;
        let mut commit = Commit::new();
        commit.put_run(&run)?;
        let fired = TriggerState {
            last_fired: Some(due.fire.at),
            ..state
        };
        commit.put_trigger(scenario.name(), &due.trigger, &fired)?;
        self.state.commit(commit)?;
        self.flush()?;
        super::crash_point::reached("run-created");
        summary.runs_started += 1;
        summary.add(self.enter(run, false, now)?);
        Ok(())
    }

    /// The next fire of a scheduled trigger after what already ran: after its last fire (or
    /// last missed one) as recorded in the store, so it does not depend on the wall clock.
    /// A trigger the engine has not seen yet counts from the day of `now`, as a tick at `now`
    /// would activate it.
    pub fn next_fire_of(
        &self,
        scenario: &Scenario,
        trigger: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Fire>> {
        let Some(index) = scenario.index_of(trigger) else {
            return Ok(None);
        };
        let tz = scenario.timezone();
        let (origin, floor) = match self.state.trigger_state(scenario.name(), trigger)? {
            Some(state) => (state.origin, state.floor()),
            None => {
                let origin = super::schedule::activation_floor(tz, now);
                (origin, origin)
            }
        };
        let kind = &scenario.node(index).kind;
        Ok(super::schedule::next_fire(kind, tz, origin, floor))
    }

    /// Starts the runs of `on_event` triggers for the events recorded since they last
    /// looked; they are due at `now`, after everything scheduled earlier.
    pub(super) fn fire_event_triggers(
        &self,
        now: DateTime<Utc>,
        summary: &mut TickSummary,
    ) -> Result<()> {
        let scenarios: Vec<Arc<Scenario>> = self.scenarios.clone();
        for scenario in &scenarios {
            for &trigger in scenario.triggers() {
                let node = scenario.node(trigger);
                let NodeKind::OnEvent(on_event) = &node.kind else {
                    continue;
                };
                let Some(state) = self.state.trigger_state(scenario.name(), &node.id)? else {
                    continue;
                };
                if let Some(run) = self.event_run(scenario, &node.id, on_event, state, now)? {
                    self.flush()?;
                    super::crash_point::reached("run-created");
                    summary.runs_started += 1;
                    summary.add(self.enter(run, false, now)?);
                }
            }
        }
        Ok(())
    }

    fn new_run(
        &self,
        scenario: &Scenario,
        trigger: &str,
        fired_at: DateTime<Utc>,
        day: Option<u32>,
        events: Vec<(u64, Value)>,
    ) -> Result<RunRecord> {
        Ok(RunRecord {
            id: self.state.allocate_run_id()?,
            scenario: scenario.name().to_owned(),
            version: scenario.version().to_owned(),
            trigger: trigger.to_owned(),
            fired_at,
            local_date: fired_at.with_timezone(&scenario.timezone()).date_naive(),
            day,
            status: RunStatus::Entering,
            entered: 0,
            events,
        })
    }

    /// Reads the events recorded since the trigger's cursor; when some match, stores a run
    /// holding them (one customer once) together with the new cursor.
    fn event_run(
        &self,
        scenario: &Scenario,
        trigger: &str,
        on_event: &OnEvent,
        state: TriggerState,
        now: DateTime<Utc>,
    ) -> Result<Option<RunRecord>> {
        let filter: BTreeMap<String, Value> = on_event
            .filter
            .iter()
            .map(|(name, values)| {
                let value = match values.as_slice() {
                    [one] => one.clone(),
                    many => Value::Array(many.to_vec()),
                };
                (name.clone(), value)
            })
            .collect();
        let mut seen = HashSet::new();
        let mut events = Vec::new();
        let cursor = self.access.events_since(state.cursor, &mut |logged| {
            let event = &logged.event;
            if event.event_type == on_event.event
                && fires_on(&logged, state.origin)
                && filter_matches(&filter, &event.properties)
                && seen.insert(logged.customer)
            {
                let mut value = serde_json::Map::new();
                value.insert("type".into(), event.event_type.clone().into());
                value.insert("timestamp".into(), event.timestamp.to_rfc3339().into());
                for (name, property) in &event.properties {
                    value.insert(name.clone(), property.clone());
                }
                events.push((logged.customer, Value::Object(value)));
            }
            Ok(())
        })?;
        if cursor == state.cursor && events.is_empty() {
            return Ok(None);
        }
        let moved = TriggerState { cursor, ..state };
        let mut commit = Commit::new();
        commit.put_trigger(scenario.name(), trigger, &moved)?;
        let run = if events.is_empty() {
            None
        } else {
            let run = self.new_run(scenario, trigger, now, None, events)?;
            commit.put_run(&run)?;
            Some(run)
        };
        self.state.commit(commit)?;
        Ok(run)
    }
}
