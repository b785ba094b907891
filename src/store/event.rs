//! Events: per-customer history in time order and the global append-only event log.

use std::ops::Range;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{decode, encode, event_log, key_u64, keys, CustomerId, Result, Store, StoreError};

/// Something a customer did or that happened to them (`campaign`, `consent`, `purchase`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// Event properties, e.g. `action`, `category`, `template`.
    #[serde(default)]
    pub properties: Map<String, Value>,
}

/// The value of an event in a customer's history: time and sequence live in the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    #[serde(rename = "t")]
    event_type: String,
    #[serde(default, rename = "p")]
    properties: Map<String, Value>,
    /// A consent event that changed the customer's decision when it was recorded.
    #[serde(default, rename = "c", skip_serializing_if = "std::ops::Not::not")]
    consent_changed: bool,
}

/// Borrowed twin of [`StoredEvent`] for encoding without copying.
#[derive(Serialize)]
struct StoredEventRef<'a> {
    #[serde(rename = "t")]
    event_type: &'a str,
    #[serde(rename = "p")]
    properties: &'a Map<String, Value>,
    #[serde(rename = "c", skip_serializing_if = "std::ops::Not::not")]
    consent_changed: bool,
}

/// An entry of the global event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedEvent {
    /// Position in the log: strictly increasing in the order events were recorded.
    pub seq: u64,
    /// The customer the event was recorded for. After a merge it may be an absorbed id;
    /// [`Store::resolve`] gives the survivor.
    pub customer: CustomerId,
    /// The event.
    pub event: Event,
    /// For a `consent` event: whether it changed the customer's decision for its category
    /// when it was recorded (a first decision, accept → reject or reject → accept). A repeated
    /// or outdated decision is `false`; consent triggers fire only on changes.
    pub consent_changed: bool,
}

impl Event {
    /// An event of a type at a time, with properties.
    pub fn new(event_type: impl Into<String>, timestamp: DateTime<Utc>) -> Self {
        Self {
            event_type: event_type.into(),
            timestamp,
            properties: Map::new(),
        }
    }

    /// Adds a property (builder style).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.properties.insert(name.into(), value.into());
        self
    }
}

impl Store {
    /// Records an event for a customer: appends it to the customer's history and to the
    /// event log, and updates consent state for `consent` events. Returns the log sequence.
    ///
    /// A `consent` event needs `action` (`accept` or `reject`) and `category`, and may carry
    /// `valid_until` (RFC 3339); otherwise it is refused with [`StoreError::InvalidEvent`].
    /// Times are kept to the millisecond.
    pub fn record_event(&self, customer: CustomerId, event: &Event) -> Result<u64> {
        self.record_events(&[(customer, event.clone())])
            .map(|range| range.start)
    }

    /// Records many events at once (ingest, imports); returns their log sequences. Either all
    /// events are valid and recorded, or none is (an invalid one fails the call before any
    /// write). The log takes one chunk per batch (see [`super::event_log`]), so a batch costs
    /// about one insert per event.
    pub fn record_events(&self, batch: &[(CustomerId, Event)]) -> Result<Range<u64>> {
        let mut consents = Vec::new();
        let mut prepared = Vec::with_capacity(batch.len());
        for (index, (customer, event)) in batch.iter().enumerate() {
            let change = super::consent::ConsentChange::of(event)?;
            let customer = self
                .resolve(*customer)?
                .ok_or(StoreError::UnknownCustomer(*customer))?;
            // Consent events are encoded under the lock, once it is known whether they change
            // the customer's decision.
            let body = match change {
                Some(change) => {
                    consents.push((index, change));
                    Vec::new()
                }
                None => encode_body(event, false)?,
            };
            prepared.push((customer, keys::time_bytes(event.timestamp), body));
        }
        let mut next_seq = self
            .event_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Decided under the lock, so two batches never both see the same decision as new.
        let states = self.consent_outcomes(batch, &consents, &mut prepared)?;
        let first = *next_seq;
        let entries: Vec<([u8; 24], Vec<u8>)> = prepared
            .into_iter()
            .zip(first..)
            .map(|((customer, time, body), seq)| (history_key(customer, time, seq), body))
            .collect();
        self.write_history(&entries)?;
        event_log::write(self, first, &entries)?;
        let end = first + entries.len() as u64;
        *next_seq = end;
        // Consumers of the log see the batch only now that history and log are both written.
        self.visible_seq
            .store(end, std::sync::atomic::Ordering::Release);
        for ((customer, category), state) in states {
            self.put_consent(customer, &category, &state)?;
        }
        drop(next_seq);
        Ok(first..end)
    }

    /// Decides, in batch order, what each consent event of a batch does to its customer's
    /// state; encodes those events' bodies with the answer. Returns the states to store.
    fn consent_outcomes(
        &self,
        batch: &[(CustomerId, Event)],
        consents: &[(usize, super::consent::ConsentChange)],
        prepared: &mut [(CustomerId, [u8; 8], Vec<u8>)],
    ) -> Result<std::collections::HashMap<(CustomerId, String), super::ConsentState>> {
        let mut states = std::collections::HashMap::new();
        for (index, change) in consents {
            let customer = prepared[*index].0;
            let key = (customer, change.category().to_owned());
            let current = match states.get(&key) {
                Some(state) => Some(Clone::clone(state)),
                None => self.consent_state_exact(customer, change.category())?,
            };
            let changed = change.changes(current.as_ref());
            if let Some(next) = change.applied_to(current.as_ref()) {
                states.insert(key, next);
            }
            prepared[*index].2 = encode_body(&batch[*index].1, changed)?;
        }
        Ok(states)
    }

    /// Inserts a batch's history entries; a large batch is split over two threads, since
    /// sled's inserts run in parallel and the randomly keyed history tree is where an
    /// event's time goes (see BENCHMARKS.md, event ingest).
    fn write_history(&self, entries: &[([u8; 24], Vec<u8>)]) -> Result<()> {
        // In key order, consecutive inserts land on neighbouring leaves of the tree.
        let mut sorted: Vec<&([u8; 24], Vec<u8>)> = entries.iter().collect();
        sorted.sort_unstable_by_key(|(key, _)| *key);
        if sorted.len() < PARALLEL_HISTORY_FROM {
            return self.insert_history(&sorted);
        }
        let (mine, theirs) = sorted.split_at(sorted.len() / 2);
        std::thread::scope(|scope| {
            let other = scope.spawn(|| self.insert_history(theirs));
            let result = self.insert_history(mine);
            let other = other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            result.and(other)
        })
    }

    fn insert_history(&self, entries: &[&([u8; 24], Vec<u8>)]) -> Result<()> {
        for (key, body) in entries {
            self.events
                .insert(key, body.as_slice())
                .map_err(|e| self.sled(e))?;
        }
        self.in_order.events_written();
        Ok(())
    }

    /// Checks that the store would accept an event (consent events need `action` and
    /// `category`), without recording it.
    pub fn check_event(&self, event: &Event) -> Result<()> {
        super::consent::ConsentChange::of(event).map(drop)
    }

    /// All events of a customer in time order (ties in recording order), streamed. An
    /// absorbed id reads the survivor's history.
    pub fn customer_events(
        &self,
        customer: CustomerId,
    ) -> impl DoubleEndedIterator<Item = Result<Event>> + '_ {
        let customer = self.live_id(customer);
        self.events
            .scan_prefix(keys::customer_key(customer))
            .map(move |entry| {
                let (key, value) = entry.map_err(|e| self.sled(e))?;
                decode_event(&key, &value)
            })
    }

    /// Events of the log with a sequence at or after `cursor`, in order. A consumer keeps the
    /// last `seq` it handled and passes `seq + 1` next time.
    pub fn events_since(&self, cursor: u64) -> impl Iterator<Item = Result<LoggedEvent>> + '_ {
        let visible = self.visible_seq.load(std::sync::atomic::Ordering::Acquire);
        event_log::chunks(&self.event_log, cursor, visible).flat_map(move |chunk| {
            let decoded: Vec<Result<LoggedEvent>> = match chunk {
                Ok((key, value)) => decode_chunk(&key, &value, cursor..visible),
                Err(e) => vec![Err(self.sled(e))],
            };
            decoded
        })
    }

    /// The sequence the next recorded event will get (0 for an empty log): a consumer that
    /// starts now and wants only new events uses it as its first cursor.
    pub fn next_event_seq(&self) -> u64 {
        self.visible_seq.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Moves every event of `from` to `to`, keeping times and sequence numbers.
    pub(crate) fn move_events(&self, from: CustomerId, to: CustomerId) -> Result<()> {
        for entry in self.events.scan_prefix(keys::customer_key(from)) {
            let (key, value) = entry.map_err(|e| self.sled(e))?;
            let Some((_, at, seq)) = keys::decode_event_key(&key) else {
                continue;
            };
            self.events
                .insert(keys::event_key(to, at, seq), value)
                .map_err(|e| self.sled(e))?;
            self.events.remove(key).map_err(|e| self.sled(e))?;
        }
        self.in_order.events_written();
        Ok(())
    }
}

/// The history / log value of an event.
fn encode_body(event: &Event, consent_changed: bool) -> Result<Vec<u8>> {
    encode(
        "event",
        &StoredEventRef {
            event_type: &event.event_type,
            properties: &event.properties,
            consent_changed,
        },
    )
}

/// Batches with at least this many events write their history on two threads; below it a
/// thread costs more than it saves.
const PARALLEL_HISTORY_FROM: usize = 256;

/// Key of an event in the `events` tree from pre-encoded time bytes.
fn history_key(customer: CustomerId, time: [u8; 8], seq: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..8].copy_from_slice(&keys::customer_key(customer));
    key[8..16].copy_from_slice(&time);
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// Decodes the entries of a log chunk whose sequence lies in `wanted`.
fn decode_chunk(key: &[u8], value: &[u8], wanted: Range<u64>) -> Vec<Result<LoggedEvent>> {
    let Some(start) = key_u64(key) else {
        return vec![Err(StoreError::Corrupt {
            what: "event log key",
            detail: format!("{} bytes", key.len()),
        })];
    };
    event_log::Entries::new(start, value)
        .filter(|entry| entry.as_ref().map_or(true, |e| wanted.contains(&e.seq)))
        .map(|entry| {
            let entry = entry?;
            let timestamp = keys::decode_time(&entry.time).ok_or(StoreError::Corrupt {
                what: "logged event",
                detail: format!("time of event {}", entry.seq),
            })?;
            let stored: StoredEvent = decode("logged event", entry.body)?;
            Ok(LoggedEvent {
                seq: entry.seq,
                customer: entry.customer,
                event: Event {
                    event_type: stored.event_type,
                    timestamp,
                    properties: stored.properties,
                },
                consent_changed: stored.consent_changed,
            })
        })
        .collect()
}

/// Decodes an entry of the `events` tree.
pub(crate) fn decode_event(key: &[u8], value: &[u8]) -> Result<Event> {
    let (_, timestamp, _) = keys::decode_event_key(key).ok_or_else(|| StoreError::Corrupt {
        what: "event key",
        detail: format!("{} bytes", key.len()),
    })?;
    let stored: StoredEvent = decode("event", value)?;
    Ok(Event {
        event_type: stored.event_type,
        timestamp,
        properties: stored.properties,
    })
}
