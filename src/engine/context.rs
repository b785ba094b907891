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
}

impl RunContext {
    /// `day` of the run (1 when the trigger is not a repeat).
    pub fn day(&self) -> u32 {
        self.run.day.unwrap_or(1)
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

    /// The run part of the context.
    fn run_value(&self) -> Value {
        Value::from_serialize(serde_json::json!({
            "id": self.run.id,
            "scenario": self.run.scenario,
            "version": self.run.version,
            "started_at": self.run.fired_at.to_rfc3339(),
        }))
    }

    /// The context without a customer (caps, group templates of plans).
    pub fn base_context(&self, now: DateTime<Utc>) -> Value {
        minijinja::context! {
            params => Value::from_serialize(self.scenario.params()),
            plans => Value::from_serialize(self.scenario.plans()),
            run => self.run_value(),
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
        let mut map: Map<String, serde_json::Value> = customer.properties.clone();
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
            params => Value::from_serialize(self.scenario.params()),
            plans => Value::from_serialize(self.scenario.plans()),
            run => self.run_value(),
            day => self.day(),
            now => now.to_rfc3339(),
        }
    }
}
