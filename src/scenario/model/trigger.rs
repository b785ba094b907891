use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::NodeId;

/// Trigger that fires once, at a local date-time in the scenario's time zone. The audience
/// is every customer in the store at that moment.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnDateNode {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Local date-time, `YYYY-MM-DDTHH:MM` (seconds optional).
    #[schemars(example = "2026-12-01T00:00")]
    pub at: String,
    /// What to do when the fire was missed while the engine was down. Default `run`.
    #[serde(default)]
    pub catch_up: CatchUp,
    /// Node every customer enters next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NodeId>,
}

/// Trigger that fires every day at a local time, or on a cron schedule, between optional
/// start and end dates. Templates and limits see `day` (1 for the first fire).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepeatNode {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Local time of day, `HH:MM`. Exactly one of `at` and `cron`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = "00:00")]
    pub at: Option<String>,
    /// Cron expression (5 fields: minute hour day-of-month month day-of-week), local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = "0 0 * * *")]
    pub cron: Option<String>,
    /// First date (inclusive, `YYYY-MM-DD`) on which the trigger may fire; day 1 is its first fire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Last date (inclusive, `YYYY-MM-DD`) on which the trigger may fire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// What to do with fires missed while the engine was down. Default `run`.
    #[serde(default)]
    pub catch_up: CatchUp,
    /// Node every customer enters next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NodeId>,
}

/// What happens to a fire that was due while the engine was not running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    /// Run the most recent missed fire once, at the next tick (older missed fires are skipped).
    #[default]
    Run,
    /// Skip missed fires; wait for the next scheduled one.
    Skip,
}

/// Trigger that fires per customer when an event of a type is recorded after the scenario
/// became active. Consent reject is `event: consent` with `where: { action: reject }`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnEventNode {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Event type, e.g. `consent`, `campaign`, `purchase`.
    pub event: String,
    /// Event properties that must match: a value means equal, a list means any of.
    #[serde(default, rename = "where")]
    pub filter: BTreeMap<String, serde_json::Value>,
    /// Node the customer enters next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NodeId>,
}
