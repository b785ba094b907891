//! An in-memory overlay over a customer source: reads go to the base (the real store),
//! writes stay in memory. `warmup simulate` runs on it, so a simulation never mutates the
//! store, and its memory grows with what the simulation writes (sends, flags), not with the
//! number of customers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::customers::{
    CustomerAccess, CustomerEvent, CustomerView, EventMatch, Flow, LoggedCustomerEvent,
};
use super::error::Result;

/// Writes kept in memory.
#[derive(Debug, Default)]
struct Writes {
    properties: HashMap<u64, Map<String, Value>>,
    events: HashMap<u64, Vec<CustomerEvent>>,
    log: Vec<LoggedCustomerEvent>,
    next_seq: u64,
}

/// A customer source whose writes stay in memory.
pub struct Overlay {
    base: Arc<dyn CustomerAccess>,
    writes: Mutex<Writes>,
}

impl Overlay {
    /// An overlay over `base`.
    pub fn new(base: Arc<dyn CustomerAccess>) -> Result<Self> {
        let next_seq = base.next_event_seq()?;
        Ok(Self {
            base,
            writes: Mutex::new(Writes {
                next_seq,
                ..Writes::default()
            }),
        })
    }

    fn writes(&self) -> std::sync::MutexGuard<'_, Writes> {
        self.writes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn patch(&self, mut customer: CustomerView) -> CustomerView {
        if let Some(patch) = self.writes().properties.get(&customer.id) {
            apply(customer.properties.make_mut(), patch);
        }
        customer
    }

    /// Number of events the overlay holds (what the simulation recorded).
    pub fn recorded_events(&self) -> usize {
        self.writes().log.len()
    }
}

/// Applies a property patch (`null` removes).
pub(crate) fn apply(properties: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (name, value) in patch {
        if value.is_null() {
            properties.remove(name);
        } else {
            properties.insert(name.clone(), value.clone());
        }
    }
}

/// Latest consent decision among events, valid at `at`.
pub(crate) fn consent_from_events<'a>(
    events: impl Iterator<Item = &'a CustomerEvent>,
    category: &str,
    at: DateTime<Utc>,
) -> Option<bool> {
    let latest = events
        .filter(|e| {
            e.event_type == "consent"
                && e.properties.get("category").and_then(Value::as_str) == Some(category)
        })
        .max_by_key(|e| e.timestamp)?;
    let accepted = latest.properties.get("action").and_then(Value::as_str) == Some("accept");
    let until = latest
        .properties
        .get("valid_until")
        .and_then(Value::as_str)
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok());
    Some(accepted && until.is_none_or(|until| at < until))
}

impl CustomerAccess for Overlay {
    fn for_each_customer(&self, visit: &mut dyn FnMut(CustomerView) -> Result<Flow>) -> Result<()> {
        self.base
            .for_each_customer(&mut |customer| visit(self.patch(customer)))
    }

    fn customer(&self, id: u64) -> Result<Option<CustomerView>> {
        Ok(self.base.customer(id)?.map(|c| self.patch(c)))
    }

    fn consent_valid(&self, id: u64, category: &str, at: DateTime<Utc>) -> Result<bool> {
        let own = {
            let writes = self.writes();
            writes
                .events
                .get(&id)
                .and_then(|events| consent_from_events(events.iter(), category, at))
        };
        match own {
            Some(valid) => Ok(valid),
            None => self.base.consent_valid(id, category, at),
        }
    }

    fn count_events(&self, id: u64, query: &EventMatch, limit: u64) -> Result<u64> {
        let own = {
            let writes = self.writes();
            writes.events.get(&id).map_or(0, |events| {
                events.iter().filter(|e| query.matches(e)).count() as u64
            })
        };
        if own >= limit {
            return Ok(own);
        }
        Ok(own + self.base.count_events(id, query, limit - own)?)
    }

    fn set_properties(
        &self,
        id: u64,
        properties: &Map<String, Value>,
        _at: DateTime<Utc>,
    ) -> Result<()> {
        let mut writes = self.writes();
        let patch = writes.properties.entry(id).or_default();
        for (name, value) in properties {
            patch.insert(name.clone(), value.clone());
        }
        Ok(())
    }

    fn record_event(&self, id: u64, event: &CustomerEvent) -> Result<()> {
        let mut writes = self.writes();
        let seq = writes.next_seq;
        writes.next_seq += 1;
        writes.events.entry(id).or_default().push(event.clone());
        writes.log.push(LoggedCustomerEvent {
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
        let next = self.base.events_since(cursor, visit)?;
        let own: Vec<LoggedCustomerEvent> = {
            let writes = self.writes();
            writes
                .log
                .iter()
                .filter(|e| e.seq >= cursor)
                .cloned()
                .collect()
        };
        let mut last = next;
        for event in own {
            last = last.max(event.seq + 1);
            visit(event)?;
        }
        Ok(last)
    }

    fn next_event_seq(&self) -> Result<u64> {
        Ok(self.writes().next_seq)
    }
}
