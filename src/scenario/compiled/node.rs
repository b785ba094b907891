use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::{EventFilter, Predicate};
use crate::scenario::model::{
    CapValue, CatchUp, EmailNode, GroupBy, Guard, LimitScope, WebhookNode,
};

/// A node of the compiled DAG.
#[derive(Debug, Clone)]
pub struct CompiledNode {
    /// The id as written.
    pub id: String,
    /// The display name, if any.
    pub name: Option<String>,
    /// What it does.
    pub kind: NodeKind,
}

impl CompiledNode {
    /// `name (id)` or just the id.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{} ({name})", self.id),
            None => self.id.clone(),
        }
    }
}

/// What a node does, with everything parsed and resolved.
#[derive(Debug, Clone)]
pub enum NodeKind {
    /// Fires once.
    OnDate(OnDate),
    /// Fires on a schedule.
    Repeat(Repeat),
    /// Fires per recorded event.
    OnEvent(OnEvent),
    /// Routes by predicate.
    Condition(Condition),
    /// Parks tokens.
    Wait(Wait),
    /// Caps how many pass.
    Limit(Box<Limit>),
    /// Splits by percentage.
    Split(Split),
    /// Writes properties.
    SetProperty(SetProperty),
    /// Records an event.
    AddEvent(AddEvent),
    /// Calls HTTP (the node as written; the actions module builds the request).
    Webhook(Box<WebhookNode>),
    /// Sends e-mail (the node as written; the actions module renders it).
    Email(Box<EmailNode>),
}

impl NodeKind {
    /// Whether the node starts runs.
    pub fn is_trigger(&self) -> bool {
        matches!(
            self,
            NodeKind::OnDate(_) | NodeKind::Repeat(_) | NodeKind::OnEvent(_)
        )
    }

    /// The `kind` as written in YAML.
    pub fn name(&self) -> &'static str {
        match self {
            NodeKind::OnDate(_) => "on_date",
            NodeKind::Repeat(_) => "repeat",
            NodeKind::OnEvent(_) => "on_event",
            NodeKind::Condition(_) => "condition",
            NodeKind::Wait(_) => "wait",
            NodeKind::Limit(_) => "limit",
            NodeKind::Split(_) => "split",
            NodeKind::SetProperty(_) => "set_property",
            NodeKind::AddEvent(_) => "add_event",
            NodeKind::Webhook(_) => "webhook",
            NodeKind::Email(_) => "email",
        }
    }
}

/// Fires once at a local date-time.
#[derive(Debug, Clone)]
pub struct OnDate {
    /// Local date-time in the scenario's time zone.
    pub at: NaiveDateTime,
    /// Missed-fire policy.
    pub catch_up: CatchUp,
}

/// Fires on a schedule between optional dates.
#[derive(Debug, Clone)]
pub struct Repeat {
    /// When it fires.
    pub schedule: Schedule,
    /// First local date it may fire.
    pub start: Option<NaiveDate>,
    /// Last local date it may fire.
    pub end: Option<NaiveDate>,
    /// Missed-fire policy.
    pub catch_up: CatchUp,
}

/// A repeat schedule.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Every day at a local time.
    Daily(NaiveTime),
    /// A cron expression (validated), in local time.
    Cron(String),
}

/// Fires per recorded event of a type.
#[derive(Debug, Clone)]
pub struct OnEvent {
    /// Event type.
    pub event: String,
    /// Property filters.
    pub filter: EventFilter,
}

/// Routes to `yes`/`no`.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The predicate.
    pub predicate: Predicate,
}

/// Parks tokens.
#[derive(Debug, Clone)]
pub enum Wait {
    /// For a duration.
    For(std::time::Duration),
    /// Until the next local time of day.
    Until(NaiveTime),
    /// Until a local date-time.
    At(NaiveDateTime),
    /// Until the instant or duration a template yields.
    Template(String),
}

/// Caps how many tokens pass per group.
#[derive(Debug, Clone)]
pub struct Limit {
    /// Grouping (None: one group named `all`).
    pub group_by: Option<GroupBy>,
    /// Per run or per day, as written (`None`: per day in runs of a `repeat`, else per run).
    pub per: Option<LimitScope>,
    /// Where caps come from.
    pub caps: CapSource,
    /// Priority rules in order.
    pub priority: Vec<Priority>,
    /// Deliverability guard.
    pub guard: Option<Guard>,
}

/// Where a limit's caps come from.
#[derive(Debug, Clone)]
pub enum CapSource {
    /// Same cap for every group.
    Every(CapValue),
    /// Per group, with an optional `default` for unlisted groups.
    PerGroup {
        /// Caps of listed groups.
        caps: BTreeMap<String, CapValue>,
        /// Cap of unlisted groups (none: they pass nobody).
        default: Option<CapValue>,
    },
    /// A plan table of the scenario, indexed by `day` (1-based).
    Plan(String),
}

/// A compiled priority rule.
#[derive(Debug, Clone)]
pub enum Priority {
    /// Matching customers first.
    Matching(Predicate),
    /// Most recent date-time property first.
    Recent(String),
    /// Largest number first.
    Highest(String),
    /// Smallest number first.
    Lowest(String),
}

/// Splits by percentage; branch i leaves through `Port::Branch(i)`.
#[derive(Debug, Clone)]
pub struct Split {
    /// Branch percentages, in order, summing to 100.
    pub percents: Vec<f64>,
    /// Branch labels for display.
    pub labels: Vec<String>,
}

/// Writes properties (string values are templates).
#[derive(Debug, Clone)]
pub struct SetProperty {
    /// Property name to value.
    pub set: BTreeMap<String, serde_json::Value>,
}

/// Records an event (string property values are templates).
#[derive(Debug, Clone)]
pub struct AddEvent {
    /// Event type.
    pub event: String,
    /// Properties.
    pub properties: BTreeMap<String, serde_json::Value>,
}
