use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A test over one customer. Write exactly one of: `all`, `any`, `not`, `property`
/// (with one or more comparisons), `consent`, `segment`, `event`, `mailbox_provider`, `expr`,
/// `klaviyo_list`, `klaviyo_segment`.
///
/// ```yaml
/// all:
///   - consent: newsletter
///   - { property: email, exists: true }
///   - not: { event: { type: campaign, where: { action: delivered } } }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// True when every listed predicate is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<Predicate>>,
    /// True when at least one listed predicate is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<Predicate>>,
    /// True when the predicate is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<Predicate>>,

    /// A customer property to compare (`email`, `first_name`, `last_open`, …).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "attribute")]
    pub property: Option<String>,
    /// With `property`: whether the property is present and not null/empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    /// With `property`: equal to this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<serde_json::Value>,
    /// With `property`: not equal to this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_equals: Option<serde_json::Value>,
    /// With `property`: equal to one of these values.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "in")]
    pub one_of: Option<Vec<serde_json::Value>>,
    /// With `property`: a string containing this text, or a list containing this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<serde_json::Value>,
    /// With `property`: a number greater than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    /// With `property`: a number greater than or equal to this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<f64>,
    /// With `property`: a number less than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
    /// With `property`: a number less than or equal to this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<f64>,
    /// With `property`: a date-time before this one. An RFC 3339 date-time, a date
    /// `YYYY-MM-DD`, or a duration ago such as `30d` (relative to evaluation time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// With `property`: a date-time after this one (same forms as `before`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,

    /// Consent for this category is valid at evaluation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<String>,
    /// The customer matches this named segment of the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// The customer has done something: events of a type, filtered, counted in a window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventTest>,
    /// The customer's mailbox-provider group is this one (or one of these).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox_provider: Option<OneOrMany>,
    /// A minijinja expression over `customer`, `params`, `run`, `day`, `now`; true when truthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
    /// The customer is on this Klaviyo list, as the sync last saw it (the list must be named
    /// under `klaviyo.memberships.lists`). An id such as `XyZ123` or a template such as
    /// `"{{ params.exclusion_list_id }}"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub klaviyo_list: Option<String>,
    /// The customer is in this Klaviyo segment, as the sync last saw it (the segment must be
    /// named under `klaviyo.memberships.segments`). An id or a template, as for `klaviyo_list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub klaviyo_segment: Option<String>,
}

/// "Has done X": events of a type whose properties match, counted within a window.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTest {
    /// Event type, e.g. `campaign`, `consent`, `purchase`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Properties that must match: a value means equal, a list means any of. String values
    /// are minijinja templates (e.g. `"{{ run.scenario }}"`).
    #[serde(default, rename = "where")]
    pub filter: BTreeMap<String, serde_json::Value>,
    /// Only events within this long before evaluation, e.g. `30d`, `12h`. Default: ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// At least this many matching events. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    /// At most this many matching events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}

/// One value or a list of values.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single value.
    One(String),
    /// Any of these values.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn values(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(value) => vec![value.as_str()],
            OneOrMany::Many(values) => values.iter().map(String::as_str).collect(),
        }
    }
}
