use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{NodeId, Predicate};

/// Routes each customer to `yes` or `no`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionNode {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The predicate.
    #[serde(rename = "if")]
    pub predicate: Box<Predicate>,
    /// Node for customers for whom the predicate is true; none ends their path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes: Option<NodeId>,
    /// Node for customers for whom the predicate is false; none ends their path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no: Option<NodeId>,
}

/// Parks each customer, durably. Write exactly one of `for`, `until`, `at`, `template`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitNode {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A duration, e.g. `30m`, `2h`, `1d`.
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// A local time of day `HH:MM`: the next such instant (today if still ahead, else tomorrow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = "09:00")]
    pub until: Option<String>,
    /// A local date-time `YYYY-MM-DDTHH:MM`; customers arriving later pass at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// A minijinja template yielding an RFC 3339 date-time, a local `YYYY-MM-DDTHH:MM`,
    /// or a duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Node the customer enters when the wait is over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NodeId>,
}

/// Sends each customer to one branch by percentage, stable per customer.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitNode {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The branches; their percentages add up to 100.
    pub branches: Vec<SplitBranch>,
}

/// One branch of a split.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitBranch {
    /// Port label, e.g. `holdout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Share of customers, 0–100.
    pub percent: f64,
    /// Node for this branch; none ends the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NodeId>,
}

/// Writes properties to the customer. String values are minijinja templates.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPropertyNode {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Property name to value, e.g. `warmup_day: "{{ day }}"`.
    pub set: BTreeMap<String, serde_json::Value>,
    /// Node the customer enters next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NodeId>,
}

/// Records an event on the customer. String property values are minijinja templates.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddEventNode {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Event type.
    pub event: String,
    /// Event properties.
    #[serde(default)]
    pub properties: BTreeMap<String, serde_json::Value>,
    /// Node the customer enters next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NodeId>,
}

impl SplitBranch {
    /// The port label: the branch name, or `branch N` (1-based).
    pub fn port(&self, index: usize) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("branch {}", index + 1))
    }
}
