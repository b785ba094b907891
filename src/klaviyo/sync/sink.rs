//! Where a sync writes: the customer store, seen through the few operations the sync needs.
//!
//! The sync depends on this trait rather than on the store directly so that its output is
//! small and documented: upsert a customer by Klaviyo id and email, record events for
//! customers, and keep the sync's own state (cursors, seen event ids, list membership) in
//! sled trees named `klaviyo/...` of the same database.
//!
//! Connecting the customer store (`crate::store::Store`) is one small impl:
//! - `upsert_customer` → `Store::upsert(&CustomerRecord { email, klaviyo_id: Some(id),
//!   properties, .. })`; `Created`/`Updated`/`Unchanged` map one to one, `Merged` is
//!   `Updated`; the handle is `outcome.customer().0`. `StoreError::InvalidId`, `NoId` and
//!   `InvalidEvent` become [`SinkError::Rejected`] (the sync skips the record and reports
//!   it), everything else [`SinkError::Store`].
//! - `record_events` → `Store::record_events` with `Event { event_type, timestamp,
//!   properties }` per `(CustomerId(handle), event)`.
//! - `tree` → `Store::tree`; `flush` → `Store::flush`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// A customer as the sync hands it over: identifiers and mapped properties.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncedCustomer {
    /// The Klaviyo profile id (hard ID `klaviyo_id`).
    pub klaviyo_id: String,
    /// The email address (hard ID `email_id`), when Klaviyo has one.
    pub email: Option<String>,
    /// Properties to set; `null` removes a property.
    pub properties: Map<String, Value>,
}

/// An event as the sync hands it over (`consent`, `campaign`, `klaviyo_consent`).
#[derive(Debug, Clone, PartialEq)]
pub struct SyncedEvent {
    /// Event type.
    pub event_type: String,
    /// When it happened in Klaviyo.
    pub timestamp: DateTime<Utc>,
    /// Properties (`action`, `category`, `klaviyo_event_id`, …).
    pub properties: Map<String, Value>,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    /// A new customer.
    Created,
    /// An existing customer changed (or customers were merged).
    Updated,
    /// Nothing changed.
    Unchanged,
}

/// The sink's handle of a customer (the store's internal id).
pub type CustomerHandle = u64;

/// Why the sink refused something.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The record itself is unacceptable (e.g. a malformed email); the sync skips it.
    #[error("{0}")]
    Rejected(String),
    /// The store failed; the sync stops.
    #[error("{0}")]
    Store(String),
}

/// The customer store as the sync sees it.
pub trait CustomerSink: Send + Sync {
    /// Creates or updates the customer identified by Klaviyo id and email.
    fn upsert_customer(
        &self,
        customer: &SyncedCustomer,
    ) -> Result<(CustomerHandle, Upserted), SinkError>;

    /// Records events (all or none).
    fn record_events(&self, events: &[(CustomerHandle, SyncedEvent)]) -> Result<(), SinkError>;

    /// A sled tree of the sync's own state; names start with `klaviyo/`.
    fn tree(&self, name: &str) -> Result<sled::Tree, SinkError>;

    /// Makes everything written so far durable.
    fn flush(&self) -> Result<(), SinkError>;
}
