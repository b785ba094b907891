use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{NodeId, Predicate};

/// Lets at most N customers per group pass, per run or per day. When more arrive than fit,
/// `priority` decides who passes (ties broken by a stable hash of the customer id, so a
/// rerun picks the same people); the rest leave through `over`.
///
/// The cap comes from exactly one of `cap` (every group), `caps` (per group) or `plan`
/// (a per-day plan table of the scenario, indexed by `day`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitNode {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How customers are grouped; each group has its own cap. Default: one group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<GroupBy>,
    /// Whether the cap counts per run or per local calendar day across runs. Default: `day`
    /// in runs of a `repeat` trigger (a day's cap holds even when a caught-up run and the
    /// next day's overlap), `run` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<LimitScope>,
    /// The same cap for every group: a number or a template of `day`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<CapValue>,
    /// A cap per group: group name to a number or a template of `day`. Groups not listed
    /// use the `default` entry, or pass nobody when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caps: Option<BTreeMap<String, CapValue>>,
    /// Name of a plan table of the scenario (`plans:`), giving each group's cap per `day`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Who passes first, rule by rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priority: Vec<PriorityRule>,
    /// Hold or step back a group's cap when its previous day broke a bounce or complaint threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<Guard>,
    /// Node for customers who fit under the cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<NodeId>,
    /// Node for customers over the cap; none ends their path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over: Option<NodeId>,
}

/// How a limit groups customers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// By mailbox-provider group of the customer's e-mail (gmail, microsoft, …, other).
    MailboxProvider,
    /// By the value of a customer property.
    Property(String),
    /// By the rendered value of a minijinja template.
    Template(String),
}

/// The window a limit counts in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitScope {
    /// Per run of the trigger.
    #[default]
    Run,
    /// Per local calendar day, across runs.
    Day,
}

/// A cap: a number, or a minijinja template of `day` (and `params`, `plans`) yielding one.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CapValue {
    /// A constant.
    Constant(u64),
    /// A template, e.g. `"{{ (50 * 1.4 ** (day - 1)) | round | int }}"`.
    Template(String),
}

/// One priority rule. Customers are ordered by the first rule, ties by the next, and so on.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PriorityRule {
    /// Customers matching this predicate go first.
    Matching(Box<Predicate>),
    /// Customers with the most recent value of this date-time property go first.
    Recent(String),
    /// Customers with the largest value of this numeric property go first.
    Highest(String),
    /// Customers with the smallest value of this numeric property go first.
    Lowest(String),
}

/// Deliverability guard: computed per group from the previous sending day's `campaign`
/// events (`delivered`, `bounced`, `complained`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    /// Highest acceptable bounce rate, as a fraction (0.03 = 3 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bounce_rate: Option<f64>,
    /// Highest acceptable complaint rate, as a fraction (0.001 = 0.1 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_complaint_rate: Option<f64>,
    /// Fewest sends on the previous day for the rates to count. Default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_sends: Option<u64>,
    /// What to do when a threshold was broken. Default `hold`.
    #[serde(default)]
    pub action: GuardAction,
}

/// What a guard does to a group whose previous day broke a threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GuardAction {
    /// Keep the previous day's cap.
    #[default]
    Hold,
    /// Use the cap of the day before the previous one.
    StepBack,
}
