//! The event queries behind the engine's conditions: "has the customer had events of type T
//! with these properties within this window, and how many".

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::event::decode_event;
use super::{keys, CustomerId, Event, Result, Store};

/// Which events of a customer to count or list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventQuery {
    /// Event type, e.g. `campaign`.
    pub event_type: String,
    /// Properties that must match: a value means equal, a list means any of. Numbers compare
    /// by value, and a string that spells a number matches that number (`"3"` matches `3`),
    /// because rendered templates yield strings.
    pub filter: BTreeMap<String, Value>,
    /// Only events at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this instant.
    pub until: Option<DateTime<Utc>>,
}

impl EventQuery {
    /// All events of a type.
    pub fn of_type(event_type: impl Into<String>) -> Self {
        Self {
            event_type: event_type.into(),
            ..Self::default()
        }
    }

    /// Adds a property filter (builder style).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.filter.insert(name.into(), value.into());
        self
    }

    /// Restricts to `[since, until)` (builder style).
    pub fn within(mut self, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Self {
        self.since = since;
        self.until = until;
        self
    }

    /// Whether an event matches type, filter and window.
    pub fn matches(&self, event: &Event) -> bool {
        event.event_type == self.event_type
            && self.since.is_none_or(|since| event.timestamp >= since)
            && self.until.is_none_or(|until| event.timestamp < until)
            && matches_filter(&self.filter, &event.properties)
    }
}

/// Whether properties satisfy a filter: every filter key present and equal (a list filter
/// value: equal to any element).
pub fn matches_filter(
    filter: &BTreeMap<String, Value>,
    properties: &serde_json::Map<String, Value>,
) -> bool {
    filter.iter().all(|(name, wanted)| {
        let Some(actual) = properties.get(name) else {
            return false;
        };
        match wanted {
            Value::Array(options) => options.iter().any(|option| same_value(option, actual)),
            wanted => same_value(wanted, actual),
        }
    })
}

fn same_value(wanted: &Value, actual: &Value) -> bool {
    match (wanted, actual) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::String(text), Value::Number(number))
        | (Value::Number(number), Value::String(text)) => {
            text.trim().parse::<f64>().ok() == number.as_f64()
        }
        (Value::String(text), Value::Bool(flag)) => text == if *flag { "true" } else { "false" },
        _ => wanted == actual,
    }
}

impl Store {
    /// Events of a customer matching a query, in time order, streamed. Only the query's
    /// time window of the customer's history is read. An absorbed id reads the survivor's.
    pub fn find_events<'a>(
        &'a self,
        customer: CustomerId,
        query: &'a EventQuery,
    ) -> impl Iterator<Item = Result<Event>> + 'a {
        let customer = self.live_id(customer);
        let start = match query.since {
            Some(since) => keys::event_key(customer, since, 0).to_vec(),
            None => keys::customer_key(customer).to_vec(),
        };
        let end = match query.until {
            Some(until) => keys::event_key(customer, until, 0).to_vec(),
            None => keys::customer_key(CustomerId(customer.0.wrapping_add(1))).to_vec(),
        };
        // The last customer id has no successor key; scan its prefix instead of a range.
        let range = if customer.0 == u64::MAX && query.until.is_none() {
            self.events.range(start..)
        } else {
            self.events.range(start..end)
        };
        range.filter_map(move |entry| {
            let decoded = entry
                .map_err(|e| self.sled(e))
                .and_then(|(key, value)| decode_event(&key, &value));
            match decoded {
                Ok(event) if query.matches(&event) => Some(Ok(event)),
                Ok(_) => None,
                Err(error) => Some(Err(error)),
            }
        })
    }

    /// How many events of a customer match a query.
    pub fn count_events(&self, customer: CustomerId, query: &EventQuery) -> Result<u64> {
        self.count_events_up_to(customer, query, u64::MAX)
    }

    /// How many of a customer's events match `query`, counting no further than `limit`.
    pub fn count_events_up_to(
        &self,
        customer: CustomerId,
        query: &EventQuery,
        limit: u64,
    ) -> Result<u64> {
        let mut count = 0;
        for event in self.find_events(customer, query) {
            if count >= limit {
                break;
            }
            event?;
            count += 1;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filter_values_match_equal_or_any_of_a_list() {
        let props = json!({"action": "delivered", "day": 3})
            .as_object()
            .unwrap()
            .clone();
        let filter = |v: Value| v.as_object().unwrap().clone().into_iter().collect();
        assert!(matches_filter(
            &filter(json!({"action": "delivered"})),
            &props
        ));
        assert!(matches_filter(
            &filter(json!({"action": ["failed", "delivered"]})),
            &props
        ));
        assert!(matches_filter(&filter(json!({"day": "3"})), &props));
        assert!(matches_filter(&filter(json!({"day": 3.0})), &props));
        assert!(!matches_filter(
            &filter(json!({"action": "failed"})),
            &props
        ));
        assert!(!matches_filter(
            &filter(json!({"template": "day-1"})),
            &props
        ));
    }
}
