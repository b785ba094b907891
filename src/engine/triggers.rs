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
use super::schedule::due_fire;
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

impl Engine {
    /// Starts the run of every trigger that is due at `now` and enters its audience.
    pub(super) fn fire_triggers(
        &self,
        now: DateTime<Utc>,
        summary: &mut TickSummary,
    ) -> Result<()> {
        let scenarios: Vec<Arc<Scenario>> = self.scenarios.clone();
        for scenario in &scenarios {
            for &trigger in scenario.triggers() {
                let node = scenario.node(trigger);
                let Some(state) = self.state.trigger_state(scenario.name(), &node.id)? else {
                    continue;
                };
                let run = match &node.kind {
                    NodeKind::OnEvent(on_event) => {
                        self.event_run(scenario, &node.id, on_event, state, now)?
                    }
                    kind => {
                        let tz = scenario.timezone();
                        match due_fire(kind, tz, state.origin, state.last_fired, now) {
                            Some(fire) => {
                                let run = self.new_run(
                                    scenario,
                                    &node.id,
                                    fire.at,
                                    fire.day,
                                    Vec::new(),
                                )?;
                                let mut commit = Commit::new();
                                commit.put_run(&run)?;
                                let fired = TriggerState {
                                    last_fired: Some(fire.at),
                                    ..state
                                };
                                commit.put_trigger(scenario.name(), &node.id, &fired)?;
                                self.state.commit(commit)?;
                                Some(run)
                            }
                            None => None,
                        }
                    }
                };
                if let Some(run) = run {
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
