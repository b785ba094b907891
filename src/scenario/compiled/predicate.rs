use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// A compiled predicate over one customer.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// Every one is true.
    All(Vec<Predicate>),
    /// At least one is true.
    Any(Vec<Predicate>),
    /// The inner one is false.
    Not(Box<Predicate>),
    /// Every test holds for the property.
    Property {
        /// Property name (`email`, `klaviyo_id` and `id` address the identifiers).
        name: String,
        /// The comparisons, all of which must hold.
        tests: Vec<PropertyTest>,
    },
    /// Consent for this category is valid at evaluation time.
    Consent(String),
    /// A project segment, resolved to its predicate.
    Segment {
        /// The segment's name (for display).
        name: String,
        /// Its definition.
        predicate: Box<Predicate>,
    },
    /// Event history test.
    Event(EventTest),
    /// Mailbox-provider group is one of these.
    MailboxProvider(Vec<String>),
    /// A minijinja expression, truthy or not.
    Expr(String),
    /// Membership of a Klaviyo list or segment, as synced onto the customer.
    KlaviyoMember {
        /// List or segment.
        group: KlaviyoGroup,
        /// The group's id, possibly a template (`{{ params.exclusion_list_id }}`).
        id: String,
    },
}

/// The kind of Klaviyo group a membership predicate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KlaviyoGroup {
    /// A list (`klaviyo_list`, property `klaviyo_lists`).
    List,
    /// A segment (`klaviyo_segment`, property `klaviyo_segments`).
    Segment,
}

impl KlaviyoGroup {
    /// The customer property the sync keeps this kind's memberships in.
    pub const fn property(self) -> &'static str {
        match self {
            KlaviyoGroup::List => "klaviyo_lists",
            KlaviyoGroup::Segment => "klaviyo_segments",
        }
    }
}

/// One comparison of a property.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyTest {
    /// Present and not null/empty (or absent when false).
    Exists(bool),
    /// Equal to the value.
    Equals(serde_json::Value),
    /// Not equal to the value.
    NotEquals(serde_json::Value),
    /// Equal to one of the values.
    In(Vec<serde_json::Value>),
    /// String contains text, or list contains value.
    Contains(serde_json::Value),
    /// Number > value.
    Gt(f64),
    /// Number >= value.
    Gte(f64),
    /// Number < value.
    Lt(f64),
    /// Number <= value.
    Lte(f64),
    /// Date-time before.
    Before(TimeRef),
    /// Date-time after.
    After(TimeRef),
}

/// A point in time for date comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRef {
    /// A fixed instant.
    Absolute(DateTime<Utc>),
    /// This long before evaluation time.
    Ago(std::time::Duration),
}

/// Property filter on events: property name to the accepted values (one value = equal).
/// String values may be templates (rendered at evaluation with the run's context).
pub type EventFilter = BTreeMap<String, Vec<serde_json::Value>>;

/// "Has done X".
#[derive(Debug, Clone, PartialEq)]
pub struct EventTest {
    /// Event type.
    pub event_type: String,
    /// Property filters.
    pub filter: EventFilter,
    /// Only events this recent.
    pub within: Option<std::time::Duration>,
    /// At least this many (default 1).
    pub min: u32,
    /// At most this many.
    pub max: Option<u32>,
}
