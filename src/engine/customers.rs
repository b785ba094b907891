//! What the engine reads and writes about customers, behind one trait.
//!
//! The engine runs against the real customer store (`tick`, `run`) and against an in-memory
//! overlay of it (`simulate`), which reads the store and keeps every write in memory. Both
//! implement [`CustomerAccess`]; the engine's own types keep it independent of how the store
//! encodes customers.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::error::Result;
use super::properties::Properties;

/// A customer as the engine sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerView {
    /// Internal id.
    pub id: u64,
    /// E-mail address (hard id), if any.
    pub email: Option<String>,
    /// Klaviyo profile id, if any.
    pub klaviyo_id: Option<String>,
    /// Properties by name.
    pub properties: Properties,
}

impl CustomerView {
    fn property(&self, name: &str) -> Option<Value> {
        self.properties.get(name).map(Cow::into_owned)
    }

    /// A property; `email`, `klaviyo_id` and `id` address the identifiers.
    pub fn value(&self, name: &str) -> Option<Value> {
        match name {
            "id" => Some(Value::from(self.id)),
            "email" => self
                .email
                .clone()
                .map(Value::from)
                .or_else(|| self.property("email")),
            "klaviyo_id" => self
                .klaviyo_id
                .clone()
                .map(Value::from)
                .or_else(|| self.property("klaviyo_id")),
            _ => self.property(name),
        }
    }
}

/// An event as the engine reads and records it.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerEvent {
    /// Event type.
    pub event_type: String,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// Properties.
    pub properties: Map<String, Value>,
}

/// An event of the global log, with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedCustomerEvent {
    /// Position in the log.
    pub seq: u64,
    /// The customer.
    pub customer: u64,
    /// The event.
    pub event: CustomerEvent,
    /// A `consent` event that changed the customer's decision for its category when it was
    /// recorded (see [`crate::store::LoggedEvent::consent_changed`]).
    pub consent_changed: bool,
}

/// Which events to count: type, property filter (a value means equal, a list any of), window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventMatch {
    /// Event type.
    pub event_type: String,
    /// Property filter.
    pub filter: BTreeMap<String, Value>,
    /// Only events at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this instant.
    pub until: Option<DateTime<Utc>>,
}

impl EventMatch {
    /// Whether an event matches.
    pub fn matches(&self, event: &CustomerEvent) -> bool {
        event.event_type == self.event_type
            && self.since.is_none_or(|since| event.timestamp >= since)
            && self.until.is_none_or(|until| event.timestamp < until)
            && super::predicate::filter_matches(&self.filter, &event.properties)
    }
}

/// Whether to keep streaming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Stop.
    Stop,
}

/// Reads and writes customers for the engine.
pub trait CustomerAccess: Send + Sync {
    /// Visits every customer in id order, streamed (memory must not grow with the store).
    fn for_each_customer(&self, visit: &mut dyn FnMut(CustomerView) -> Result<Flow>) -> Result<()>;
    /// One customer.
    fn customer(&self, id: u64) -> Result<Option<CustomerView>>;
    /// Whether consent for a category is valid at an instant.
    fn consent_valid(&self, id: u64, category: &str, at: DateTime<Utc>) -> Result<bool>;
    /// How many events match, counting no further than `limit` (a condition only needs to
    /// know whether the count reaches its bounds).
    fn count_events(&self, id: u64, query: &EventMatch, limit: u64) -> Result<u64>;
    /// Sets properties (`null` removes one).
    fn set_properties(
        &self,
        id: u64,
        properties: &Map<String, Value>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Records an event.
    fn record_event(&self, id: u64, event: &CustomerEvent) -> Result<()>;
    /// Events of the global log at or after `cursor`, in order; returns the next cursor.
    fn events_since(
        &self,
        cursor: u64,
        visit: &mut dyn FnMut(LoggedCustomerEvent) -> Result<()>,
    ) -> Result<u64>;
    /// The cursor the next recorded event will get.
    fn next_event_seq(&self) -> Result<u64>;
}
