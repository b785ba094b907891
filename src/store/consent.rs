//! Consent state per customer and category, derived from `consent` events.
//!
//! A `consent` event carries `action` (`accept` or `reject`), `category` and optionally
//! `valid_until` (RFC 3339). Each recorded consent event updates the customer's state for
//! its category unless the state already reflects a later decision, so reads never replay
//! history and events imported out of order cannot overturn a newer decision.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{decode, encode, keys, CustomerId, Event, Result, Store, StoreError};

/// The `type` of consent events.
pub const CONSENT_EVENT: &str = "consent";

/// A consent decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentAction {
    /// The customer agreed.
    Accept,
    /// The customer refused or withdrew.
    Reject,
}

/// The current consent of a customer for one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentState {
    /// The latest decision.
    pub action: ConsentAction,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// An accepted consent stops being valid at this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTime<Utc>>,
}

impl ConsentState {
    /// Whether this state allows contact at `at`.
    pub fn valid_at(&self, at: DateTime<Utc>) -> bool {
        self.action == ConsentAction::Accept && self.valid_until.is_none_or(|until| at < until)
    }
}

/// A consent event, validated.
pub(crate) struct ConsentChange {
    category: String,
    state: ConsentState,
}

impl ConsentChange {
    /// The consent change an event carries: `None` for other event types, an error for a
    /// malformed consent event.
    pub(crate) fn of(event: &Event) -> Result<Option<Self>> {
        if event.event_type != CONSENT_EVENT {
            return Ok(None);
        }
        let text = |name: &str| event.properties.get(name).and_then(Value::as_str);
        let action = match text("action") {
            Some("accept") => ConsentAction::Accept,
            Some("reject") => ConsentAction::Reject,
            Some(other) => {
                return Err(StoreError::InvalidEvent(format!(
                    "consent `action` must be `accept` or `reject`, not `{other}`"
                )))
            }
            None => {
                return Err(StoreError::InvalidEvent(
                    "a consent event needs `action` (`accept` or `reject`)".into(),
                ))
            }
        };
        let category = match text("category") {
            Some(category) if !category.trim().is_empty() => category.trim().to_owned(),
            _ => {
                return Err(StoreError::InvalidEvent(
                    "a consent event needs a `category`".into(),
                ))
            }
        };
        let valid_until = match event.properties.get("valid_until") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(
                DateTime::parse_from_rfc3339(text)
                    .map_err(|e| {
                        StoreError::InvalidEvent(format!(
                            "consent `valid_until` `{text}` is not an RFC 3339 date-time: {e}"
                        ))
                    })?
                    .with_timezone(&Utc),
            ),
            Some(other) => {
                return Err(StoreError::InvalidEvent(format!(
                    "consent `valid_until` must be an RFC 3339 string, not {other}"
                )))
            }
        };
        Ok(Some(Self {
            category,
            state: ConsentState {
                action,
                at: event.timestamp,
                valid_until,
            },
        }))
    }
}

impl ConsentChange {
    /// The category the change is for.
    pub(crate) fn category(&self) -> &str {
        &self.category
    }

    /// The state this change leaves when `current` is stored: `None` when a later decision
    /// is already stored, so the change is ignored.
    pub(crate) fn applied_to(&self, current: Option<&ConsentState>) -> Option<ConsentState> {
        match current {
            Some(current) if current.at > self.state.at => None,
            _ => Some(self.state.clone()),
        }
    }

    /// Whether applying this change to `current` changes the customer's decision: a first
    /// decision, or `accept` after `reject` and the other way round. Repeating the stored
    /// decision (e.g. Klaviyo reporting back an unsubscribe we asked for) or a decision older
    /// than the stored one changes nothing.
    pub(crate) fn changes(&self, current: Option<&ConsentState>) -> bool {
        match self.applied_to(current) {
            None => false,
            Some(next) => current.is_none_or(|current| current.action != next.action),
        }
    }
}

impl Store {
    /// Whether the customer's consent for `category` is valid at `at`: the latest recorded
    /// decision is `accept` and its `valid_until`, if any, is later than `at`. Only the current
    /// state is kept, so `at` decides expiry, not which decision applies.
    pub fn consent_valid(
        &self,
        customer: CustomerId,
        category: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(self
            .consent_state(customer, category)?
            .is_some_and(|state| state.valid_at(at)))
    }

    /// The customer's current consent state for a category, if any decision was recorded.
    pub fn consent_state(
        &self,
        customer: CustomerId,
        category: &str,
    ) -> Result<Option<ConsentState>> {
        // An unknown id has no consent key, so following merges is enough.
        let customer = self.live_id(customer);
        match self
            .consent
            .get(keys::consent_key(customer, category))
            .map_err(|e| self.sled(e))?
        {
            Some(bytes) => Ok(Some(decode("consent state", &bytes)?)),
            None => Ok(None),
        }
    }

    /// Every consent state of a customer, by category.
    pub fn consents(&self, customer: CustomerId) -> Result<Vec<(String, ConsentState)>> {
        self.consents_exact(self.live_id(customer))
    }

    /// Every consent state stored under exactly this id.
    fn consents_exact(&self, customer: CustomerId) -> Result<Vec<(String, ConsentState)>> {
        let mut states = Vec::new();
        for entry in self.consent.scan_prefix(keys::customer_key(customer)) {
            let (key, value) = entry.map_err(|e| self.sled(e))?;
            let category = String::from_utf8_lossy(&key[8..]).into_owned();
            states.push((category, decode("consent state", &value)?));
        }
        Ok(states)
    }

    /// Applies a consent change unless a later decision is already stored.
    pub(crate) fn apply_consent(&self, customer: CustomerId, change: &ConsentChange) -> Result<()> {
        let current = self.consent_state_exact(customer, &change.category)?;
        if let Some(state) = change.applied_to(current.as_ref()) {
            self.put_consent(customer, &change.category, &state)?;
        }
        Ok(())
    }

    /// The consent state stored under exactly this id (no merge following).
    pub(crate) fn consent_state_exact(
        &self,
        customer: CustomerId,
        category: &str,
    ) -> Result<Option<ConsentState>> {
        match self
            .consent
            .get(keys::consent_key(customer, category))
            .map_err(|e| self.sled(e))?
        {
            Some(bytes) => Ok(Some(decode("consent state", &bytes)?)),
            None => Ok(None),
        }
    }

    /// Stores a customer's consent state for a category.
    pub(crate) fn put_consent(
        &self,
        customer: CustomerId,
        category: &str,
        state: &ConsentState,
    ) -> Result<()> {
        let value = encode("consent state", state)?;
        self.consent
            .insert(keys::consent_key(customer, category), value)
            .map_err(|e| self.sled(e))?;
        self.in_order.consent_written();
        Ok(())
    }

    /// Combines the consent states of `from` into `to` (the later decision per category wins)
    /// and removes those of `from`.
    pub(crate) fn merge_consents(&self, from: CustomerId, to: CustomerId) -> Result<()> {
        for (category, state) in self.consents_exact(from)? {
            self.consent
                .remove(keys::consent_key(from, &category))
                .map_err(|e| self.sled(e))?;
            self.in_order.consent_written();
            self.apply_consent(to, &ConsentChange { category, state })?;
        }
        Ok(())
    }
}
