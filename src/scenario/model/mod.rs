//! The scenario file as written.
//!
//! A scenario is a map of nodes keyed by id. Each node names its `kind`; its
//! outgoing edges are fields holding other node ids (`next`, `yes`/`no`,
//! `passed`/`over`, `on_failure`, split branches).

mod action;
mod late;
mod limit;
mod operator;
mod predicate;
mod trigger;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use action::{Batch, EmailNode, HttpMethod, Preset, Retry, WebhookNode};
pub use late::{LateAction, LatePolicy};
pub use limit::{CapValue, GroupBy, Guard, GuardAction, LimitNode, LimitScope, PriorityRule};
pub use operator::{
    AddEventNode, ConditionNode, SetPropertyNode, SplitBranch, SplitNode, WaitNode,
};
pub use predicate::{EventTest, OneOrMany, Predicate};
pub use trigger::{CatchUp, OnDateNode, OnEventNode, RepeatNode};

/// A node id as written: any string; numbers like `"229"` are welcome.
pub type NodeId = String;

/// A scenario file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Unique name of the scenario, used in status output, events and the store.
    pub name: String,

    /// What the scenario is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,

    /// IANA time zone for this scenario's dates and times; default: the project's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = "Europe/Prague")]
    pub timezone: Option<String>,

    /// Parameters available to templates as `params.NAME` (list ids and the like).
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,

    /// Per-day plan tables, available to limits (`plan: NAME`) and templates (`plans.NAME`).
    /// Each table maps a group (e.g. a mailbox provider) to its values for day 1, 2, 3, …
    #[serde(default)]
    pub plans: BTreeMap<String, BTreeMap<String, Vec<u64>>>,

    /// The nodes, keyed by id.
    pub nodes: BTreeMap<NodeId, Node>,
}

/// One node: a trigger, an operator or an action, chosen by `kind`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Node {
    /// Trigger: fires once, at a local date-time.
    OnDate(OnDateNode),
    /// Trigger: fires every day at a local time (or on a cron schedule).
    Repeat(RepeatNode),
    /// Trigger: fires per customer when an event of a type is recorded.
    OnEvent(OnEventNode),
    /// Routes each customer to `yes` or `no` by a predicate.
    Condition(ConditionNode),
    /// Parks each customer for a duration, until a time of day or a date-time.
    Wait(WaitNode),
    /// Lets at most N customers per group pass; the rest leave through `over`.
    Limit(LimitNode),
    /// Sends customers to branches by percentage, stable per customer.
    Split(SplitNode),
    /// Writes properties to the customer.
    SetProperty(SetPropertyNode),
    /// Records an event on the customer.
    AddEvent(AddEventNode),
    /// Calls an HTTP endpoint (or a Klaviyo preset).
    Webhook(WebhookNode),
    /// Sends an e-mail rendered from a template.
    Email(EmailNode),
}

impl Node {
    /// The `kind` as written.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Node::OnDate(_) => "on_date",
            Node::Repeat(_) => "repeat",
            Node::OnEvent(_) => "on_event",
            Node::Condition(_) => "condition",
            Node::Wait(_) => "wait",
            Node::Limit(_) => "limit",
            Node::Split(_) => "split",
            Node::SetProperty(_) => "set_property",
            Node::AddEvent(_) => "add_event",
            Node::Webhook(_) => "webhook",
            Node::Email(_) => "email",
        }
    }

    /// Whether the node starts runs.
    pub fn is_trigger(&self) -> bool {
        matches!(self, Node::OnDate(_) | Node::Repeat(_) | Node::OnEvent(_))
    }

    /// The optional display name.
    pub fn name(&self) -> Option<&str> {
        match self {
            Node::OnDate(n) => n.name.as_deref(),
            Node::Repeat(n) => n.name.as_deref(),
            Node::OnEvent(n) => n.name.as_deref(),
            Node::Condition(n) => n.name.as_deref(),
            Node::Wait(n) => n.name.as_deref(),
            Node::Limit(n) => n.name.as_deref(),
            Node::Split(n) => n.name.as_deref(),
            Node::SetProperty(n) => n.name.as_deref(),
            Node::AddEvent(n) => n.name.as_deref(),
            Node::Webhook(n) => n.name.as_deref(),
            Node::Email(n) => n.name.as_deref(),
        }
    }

    /// Outgoing edges as (port, target id), in a stable order.
    pub fn edges(&self) -> Vec<(String, &NodeId)> {
        let ports: Vec<(String, &Option<NodeId>)> = match self {
            Node::OnDate(n) => vec![("next".into(), &n.next)],
            Node::Repeat(n) => vec![("next".into(), &n.next)],
            Node::OnEvent(n) => vec![("next".into(), &n.next)],
            Node::Condition(n) => vec![("yes".into(), &n.yes), ("no".into(), &n.no)],
            Node::Wait(n) => vec![("next".into(), &n.next)],
            Node::Limit(n) => vec![("passed".into(), &n.passed), ("over".into(), &n.over)],
            Node::Split(n) => n
                .branches
                .iter()
                .enumerate()
                .map(|(i, b)| (b.port(i), &b.next))
                .collect(),
            Node::SetProperty(n) => vec![("next".into(), &n.next)],
            Node::AddEvent(n) => vec![("next".into(), &n.next)],
            Node::Webhook(n) => vec![
                ("next".into(), &n.next),
                ("on_failure".into(), &n.on_failure),
            ],
            Node::Email(n) => vec![
                ("next".into(), &n.next),
                ("on_failure".into(), &n.on_failure),
            ],
        };
        ports
            .into_iter()
            .filter_map(|(port, target)| target.as_ref().map(|t| (port, t)))
            .collect()
    }
}
