//! Reads for callers that visit customers in ascending id order: the engine, which streams
//! the whole audience through its conditions every day.
//!
//! [`Store::consent_state_in_order`] and [`Store::count_events_in_order`] answer exactly what
//! [`Store::consent_state`] and [`Store::count_events`] answer, in any order; in ascending id
//! order they are several times cheaper, because they move a [`PrefixCursor`] forward over
//! the `consent` and `events` trees instead of descending each tree once per customer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Deserialize;
use sled::IVec;

use super::event::decode_event;
use super::prefix_cursor::PrefixCursor;
use super::{keys, ConsentState, CustomerId, Event, EventQuery, Result, Store};

/// The cursors and the write counts that keep them fresh.
#[derive(Default)]
pub(crate) struct InOrderReads {
    events: Mutex<PrefixCursor>,
    consent: Mutex<PrefixCursor>,
    event_writes: AtomicU64,
    consent_writes: AtomicU64,
}

impl InOrderReads {
    /// Call after every write to the `events` tree.
    pub(crate) fn events_written(&self) {
        self.event_writes.fetch_add(1, Ordering::Release);
    }

    /// Call after every write to the `consent` tree.
    pub(crate) fn consent_written(&self) {
        self.consent_writes.fetch_add(1, Ordering::Release);
    }
}

/// Just the type of a stored event, read without decoding its properties.
#[derive(Deserialize)]
struct EventType<'a> {
    #[serde(rename = "t", borrow)]
    event_type: std::borrow::Cow<'a, str>,
}

impl Store {
    /// [`Store::consent_state`], fast when customers come in ascending id order.
    pub fn consent_state_in_order(
        &self,
        customer: CustomerId,
        category: &str,
    ) -> Result<Option<ConsentState>> {
        let customer = self.live_id(customer);
        let reads = &self.in_order;
        let key = keys::consent_key(customer, category);
        let found = self.with_cursor(
            &reads.consent,
            &self.consent,
            &reads.consent_writes,
            customer,
            |entries| {
                find(entries, &key)
                    .map(|bytes| super::decode("consent state", bytes))
                    .transpose()
            },
        )?;
        match found {
            Some(state) => Ok(state),
            None => self.consent_state(customer, category),
        }
    }

    /// How many of a customer's events match `query`, counting no further than `limit`;
    /// [`Store::count_events`], fast when customers come in ascending id order.
    pub fn count_events_in_order(
        &self,
        customer: CustomerId,
        query: &EventQuery,
        limit: u64,
    ) -> Result<u64> {
        let customer = self.live_id(customer);
        let reads = &self.in_order;
        let counted = self.with_cursor(
            &reads.events,
            &self.events,
            &reads.event_writes,
            customer,
            |entries| count_matching(entries, query, limit),
        )?;
        match counted {
            Some(count) => Ok(count),
            None => self.count_events_up_to(customer, query, limit),
        }
    }

    /// `read` applied to `customer`'s entries in `tree` through `cursor`; `None` when the
    /// caller must read directly: another thread holds the cursor, or the customer has more
    /// entries than a cursor buffers.
    fn with_cursor<T>(
        &self,
        cursor: &Mutex<PrefixCursor>,
        tree: &sled::Tree,
        writes: &AtomicU64,
        customer: CustomerId,
        read: impl FnOnce(&[(IVec, IVec)]) -> Result<T>,
    ) -> Result<Option<T>> {
        let generation = writes.load(Ordering::Acquire);
        let Ok(mut cursor) = cursor.try_lock() else {
            return Ok(None);
        };
        match cursor
            .entries(tree, generation, customer)
            .map_err(|e| self.sled(e))?
        {
            Some(entries) => read(entries).map(Some),
            None => Ok(None),
        }
    }
}

fn find<'a>(entries: &'a [(IVec, IVec)], key: &[u8]) -> Option<&'a IVec> {
    entries
        .iter()
        .find(|(entry_key, _)| entry_key.as_ref() == key)
        .map(|(_, value)| value)
}

/// Counts matching events among one customer's history entries; an event of another type is
/// recognised from its type alone, without decoding its properties.
fn count_matching(entries: &[(IVec, IVec)], query: &EventQuery, limit: u64) -> Result<u64> {
    let mut count = 0;
    for (key, value) in entries {
        if count >= limit {
            break;
        }
        let time = keys::decode_event_key(key).map(|(_, at, _)| at);
        let in_window = time.is_some_and(|at| {
            query.since.is_none_or(|since| at >= since)
                && query.until.is_none_or(|until| at < until)
        });
        if time.is_some() && !in_window {
            continue;
        }
        if let Ok(peek) = serde_json::from_slice::<EventType<'_>>(value) {
            if peek.event_type != query.event_type {
                continue;
            }
        }
        let event: Event = decode_event(key, value)?;
        if query.matches(&event) {
            count += 1;
        }
    }
    Ok(count)
}

#[cfg(test)]
#[path = "in_order/tests.rs"]
mod tests;
