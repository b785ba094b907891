//! Customers held entirely in memory: the base of unit tests and small examples.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::customers::{
    CustomerAccess, CustomerEvent, CustomerView, EventMatch, Flow, LoggedCustomerEvent,
};
use super::error::Result;
use super::overlay::{apply, consent_from_events};

#[derive(Debug, Default)]
struct Inner {
    customers: BTreeMap<u64, CustomerView>,
    events: BTreeMap<u64, Vec<CustomerEvent>>,
    log: Vec<LoggedCustomerEvent>,
}

/// An in-memory customer source.
#[derive(Debug, Default)]
pub struct MemoryCustomers {
    inner: Mutex<Inner>,
}

impl MemoryCustomers {
    /// An empty source.
    pub fn new() -> Self {
        Self::default()
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds or replaces a customer.
    pub fn insert(&self, customer: CustomerView) {
        self.inner().customers.insert(customer.id, customer);
    }

    /// Every event recorded for a customer.
    pub fn events_of(&self, id: u64) -> Vec<CustomerEvent> {
        self.inner().events.get(&id).cloned().unwrap_or_default()
    }
}

impl CustomerAccess for MemoryCustomers {
    fn for_each_customer(&self, visit: &mut dyn FnMut(CustomerView) -> Result<Flow>) -> Result<()> {
        let ids: Vec<u64> = self.inner().customers.keys().copied().collect();
        for id in ids {
            let Some(customer) = self.customer(id)? else {
                continue;
            };
            if visit(customer)? == Flow::Stop {
                break;
            }
        }
        Ok(())
    }

    fn customer(&self, id: u64) -> Result<Option<CustomerView>> {
        Ok(self.inner().customers.get(&id).cloned())
    }

    fn consent_valid(&self, id: u64, category: &str, at: DateTime<Utc>) -> Result<bool> {
        let inner = self.inner();
        Ok(inner
            .events
            .get(&id)
            .and_then(|events| consent_from_events(events.iter(), category, at))
            .unwrap_or(false))
    }

    fn count_events(&self, id: u64, query: &EventMatch, limit: u64) -> Result<u64> {
        let inner = self.inner();
        let count = inner.events.get(&id).map_or(0, |events| {
            events.iter().filter(|e| query.matches(e)).count() as u64
        });
        let _ = limit;
        Ok(count)
    }

    fn set_properties(
        &self,
        id: u64,
        properties: &Map<String, Value>,
        _at: DateTime<Utc>,
    ) -> Result<()> {
        if let Some(customer) = self.inner().customers.get_mut(&id) {
            apply(customer.properties.make_mut(), properties);
        }
        Ok(())
    }

    fn record_event(&self, id: u64, event: &CustomerEvent) -> Result<()> {
        let mut inner = self.inner();
        let seq = inner.log.len() as u64;
        inner.events.entry(id).or_default().push(event.clone());
        inner.log.push(LoggedCustomerEvent {
            seq,
            customer: id,
            event: event.clone(),
            // Consent recorded by a scenario itself counts as a decision of its own.
            consent_changed: event.event_type == crate::store::CONSENT_EVENT,
        });
        Ok(())
    }

    fn events_since(
        &self,
        cursor: u64,
        visit: &mut dyn FnMut(LoggedCustomerEvent) -> Result<()>,
    ) -> Result<u64> {
        let events: Vec<LoggedCustomerEvent> = {
            let inner = self.inner();
            inner.log.iter().skip(cursor as usize).cloned().collect()
        };
        let next = cursor + events.len() as u64;
        for event in events {
            visit(event)?;
        }
        Ok(next)
    }

    fn next_event_seq(&self) -> Result<u64> {
        Ok(self.inner().log.len() as u64)
    }
}
