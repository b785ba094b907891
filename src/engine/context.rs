//! The template context of a customer's step: `customer`, `event`, `params`, `plans`, `run`,
//! `day`, `now`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use minijinja::Value;
use serde_json::Map;

use super::customers::CustomerView;
use super::state::RunRecord;
use crate::project::mailbox_provider_of;
use crate::scenario::compiled::Scenario;

/// What stays the same for every customer of a run.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// The run.
    pub run: RunRecord,
    /// The scenario version it executes.
    pub scenario: Arc<Scenario>,
    /// Mailbox-provider groups of the project.
    pub providers: Arc<BTreeMap<String, Vec<String>>>,
    /// `params`, `plans` and `run` as template values, converted once per run rather than
    /// once per customer (plan tables are large; converting them dominated templated steps).
    constants: RunConstants,
}

/// The template values that are the same for every customer of a run.
#[derive(Debug, Clone)]
struct RunConstants {
    params: Value,
    plans: Value,
    run: Value,
}

impl RunContext {
    /// The context of a run of a scenario version.
    pub fn new(
        run: RunRecord,
        scenario: Arc<Scenario>,
        providers: Arc<BTreeMap<String, Vec<String>>>,
    ) -> Self {
        let constants = RunConstants {
            params: Value::from_serialize(scenario.params()),
            plans: Value::from_serialize(scenario.plans()),
            run: run_value(&run),
        };
        Self {
            run,
            scenario,
            providers,
            constants,
        }
    }

    /// `day` of the run (1 when the trigger is not a repeat).
    pub fn day(&self) -> u32 {
        self.run.day.unwrap_or(1)
    }

    /// Whether the run was started by a schedule (`on_date`, `repeat`): its e-mails are the
    /// scenario's daily flow, at most one per customer and local day.
    pub fn is_scheduled(&self) -> bool {
        self.scenario
            .index_of(&self.run.trigger)
            .is_some_and(|trigger| {
                matches!(
                    self.scenario.node(trigger).kind,
                    crate::scenario::compiled::NodeKind::OnDate(_)
                        | crate::scenario::compiled::NodeKind::Repeat(_)
                )
            })
    }

    /// The mailbox provider of a customer.
    pub fn provider_of(&self, customer: &CustomerView) -> String {
        let email = customer
            .value("email")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        mailbox_provider_of(&email, &self.providers).to_owned()
    }

    /// The local date of an instant in the scenario's time zone.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.scenario.timezone()).date_naive()
    }

    /// The context without a customer (caps, group templates of plans).
    pub fn base_context(&self, now: DateTime<Utc>) -> Value {
        minijinja::context! {
            params => self.constants.params.clone(),
            plans => self.constants.plans.clone(),
            run => self.constants.run.clone(),
            day => self.day(),
            now => now.to_rfc3339(),
        }
    }

    /// The full context of a customer's step.
    pub fn customer_context(
        &self,
        customer: &CustomerView,
        event: Option<&serde_json::Value>,
        now: DateTime<Utc>,
    ) -> Value {
        let mut map: Map<String, serde_json::Value> = customer.properties.to_map();
        map.insert("id".into(), customer.id.into());
        if let Some(email) = customer.value("email") {
            map.insert("email".into(), email);
        }
        if let Some(klaviyo) = customer.value("klaviyo_id") {
            map.insert("klaviyo_id".into(), klaviyo);
        }
        map.insert("mailbox_provider".into(), self.provider_of(customer).into());
        minijinja::context! {
            customer => Value::from_serialize(&map),
            event => Value::from_serialize(event.cloned().unwrap_or(serde_json::Value::Null)),
            params => self.constants.params.clone(),
            plans => self.constants.plans.clone(),
            run => self.constants.run.clone(),
            day => self.day(),
            now => now.to_rfc3339(),
        }
    }
}

/// The `run` part of the context.
fn run_value(run: &RunRecord) -> Value {
    Value::from_serialize(serde_json::json!({
        "id": run.id,
        "scenario": run.scenario,
        "version": run.version,
        "started_at": run.fired_at.to_rfc3339(),
    }))
}
