//! The real customer store as the engine's customer source.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::customers::{
    CustomerAccess, CustomerEvent, CustomerView, EventMatch, Flow, LoggedCustomerEvent,
};
use super::error::{EngineError, Result};
use super::properties::Properties;
use crate::store::{Customer, CustomerId, Event, EventQuery, RawCustomer, Store, StoreError};

fn store_error(error: StoreError) -> EngineError {
    EngineError::Store(error.to_string())
}

fn view(customer: Customer) -> CustomerView {
    CustomerView {
        id: customer.id.0,
        email: customer.email_id,
        klaviyo_id: customer.klaviyo_id,
        properties: customer.properties.into(),
    }
}

fn raw_view(customer: RawCustomer) -> CustomerView {
    CustomerView {
        id: customer.id.0,
        email: customer.email_id,
        klaviyo_id: customer.klaviyo_id,
        properties: match customer.properties {
            Some(object) => Properties::from_json(customer.record, object),
            None => Properties::default(),
        },
    }
}

fn event(event: Event) -> CustomerEvent {
    CustomerEvent {
        event_type: event.event_type,
        timestamp: event.timestamp,
        properties: event.properties,
    }
}

impl CustomerAccess for Store {
    fn for_each_customer(&self, visit: &mut dyn FnMut(CustomerView) -> Result<Flow>) -> Result<()> {
        // Properties stay undecoded until a condition or a template reads them.
        for customer in self.raw_customers() {
            if visit(raw_view(customer.map_err(store_error)?))? == Flow::Stop {
                break;
            }
        }
        Ok(())
    }

    fn customer(&self, id: u64) -> Result<Option<CustomerView>> {
        Ok(Store::customer(self, CustomerId(id))
            .map_err(store_error)?
            .map(view))
    }

    fn consent_valid(&self, id: u64, category: &str, at: DateTime<Utc>) -> Result<bool> {
        // The engine visits customers in id order; the in-order reads exploit it.
        Ok(
            Store::consent_state_in_order(self, CustomerId(id), category)
                .map_err(store_error)?
                .is_some_and(|state| state.valid_at(at)),
        )
    }

    fn count_events(&self, id: u64, query: &EventMatch, limit: u64) -> Result<u64> {
        let query = EventQuery {
            event_type: query.event_type.clone(),
            filter: query.filter.clone(),
            since: query.since,
            until: query.until,
        };
        Store::count_events_in_order(self, CustomerId(id), &query, limit).map_err(store_error)
    }

    fn set_properties(
        &self,
        id: u64,
        properties: &Map<String, Value>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        Store::set_properties(self, CustomerId(id), properties, at)
            .map(drop)
            .map_err(store_error)
    }

    fn record_event(&self, id: u64, recorded: &CustomerEvent) -> Result<()> {
        let mut stored = Event::new(recorded.event_type.clone(), recorded.timestamp);
        stored.properties = recorded.properties.clone();
        Store::record_event(self, CustomerId(id), &stored)
            .map(drop)
            .map_err(store_error)
    }

    fn events_since(
        &self,
        cursor: u64,
        visit: &mut dyn FnMut(LoggedCustomerEvent) -> Result<()>,
    ) -> Result<u64> {
        let mut next = cursor;
        for logged in Store::events_since(self, cursor) {
            let logged = logged.map_err(store_error)?;
            next = logged.seq + 1;
            visit(LoggedCustomerEvent {
                seq: logged.seq,
                customer: logged.customer.0,
                event: event(logged.event),
                consent_changed: logged.consent_changed,
            })?;
        }
        Ok(next)
    }

    fn next_event_seq(&self) -> Result<u64> {
        Ok(Store::next_event_seq(self))
    }
}
