//! Customers: the record type, reads, lookups by identifier and streaming iteration.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::identity::{normalize_cookie, normalize_email, normalize_klaviyo_id};
use super::{decode, keys, CustomerId, Result, Store};

/// A customer as the rest of warmup sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer {
    /// Internal id.
    pub id: CustomerId,
    /// Hard ID: the email address, trimmed and lower-cased.
    pub email_id: Option<String>,
    /// Hard ID: the Klaviyo profile id.
    pub klaviyo_id: Option<String>,
    /// Soft IDs: browser cookies seen with this customer.
    pub cookies: Vec<String>,
    /// Properties by name (`email`, `first_name`, `last_open`, `tags`, …). The store keeps
    /// `email` equal to `email_id` whenever a record sets the email.
    pub properties: Map<String, Value>,
    /// When the store first saw the customer.
    pub created: DateTime<Utc>,
    /// When the customer last changed.
    pub updated: DateTime<Utc>,
}

/// The value of a customer in the `customers` tree: a [`Customer`] without its id (the key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCustomer {
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "e")]
    email_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "k")]
    klaviyo_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "c")]
    cookies: Vec<String>,
    #[serde(default, rename = "p")]
    properties: Map<String, Value>,
    #[serde(rename = "cr")]
    created: DateTime<Utc>,
    #[serde(rename = "up")]
    updated: DateTime<Utc>,
}

impl Customer {
    /// A new customer without identifiers or properties.
    pub(crate) fn new(id: CustomerId, now: DateTime<Utc>) -> Self {
        Self {
            id,
            email_id: None,
            klaviyo_id: None,
            cookies: Vec::new(),
            properties: Map::new(),
            created: now,
            updated: now,
        }
    }

    /// A property by name.
    pub fn property(&self, name: &str) -> Option<&Value> {
        self.properties.get(name)
    }

    /// Whether the customer has any hard ID.
    pub fn is_identified(&self) -> bool {
        self.email_id.is_some() || self.klaviyo_id.is_some()
    }

    pub(crate) fn from_stored(id: CustomerId, stored: StoredCustomer) -> Self {
        Self {
            id,
            email_id: stored.email_id,
            klaviyo_id: stored.klaviyo_id,
            cookies: stored.cookies,
            properties: stored.properties,
            created: stored.created,
            updated: stored.updated,
        }
    }

    pub(crate) fn to_stored(&self) -> StoredCustomer {
        StoredCustomer {
            email_id: self.email_id.clone(),
            klaviyo_id: self.klaviyo_id.clone(),
            cookies: self.cookies.clone(),
            properties: self.properties.clone(),
            created: self.created,
            updated: self.updated,
        }
    }
}

/// What an upsert brings: any identifiers (raw, normalised by the store) and properties.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerRecord {
    /// Email address (hard ID).
    pub email: Option<String>,
    /// Klaviyo profile id (hard ID).
    pub klaviyo_id: Option<String>,
    /// Browser cookie (soft ID).
    pub cookie: Option<String>,
    /// Properties to set; a `null` value removes the property, absent keys stay as they are.
    pub properties: Map<String, Value>,
    /// Values to add to the `tags` list property when not already there.
    pub tags: Vec<String>,
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpsertOutcome {
    /// A new customer.
    Created(CustomerId),
    /// An existing customer changed.
    Updated(CustomerId),
    /// An existing customer already had everything the record carried; nothing was written.
    Unchanged(CustomerId),
    /// The record's identifiers joined customers: `absorbed` were merged into `survivor`.
    Merged {
        /// The customer that remains.
        survivor: CustomerId,
        /// The customers merged into it, which now resolve to it.
        absorbed: Vec<CustomerId>,
    },
}

impl UpsertOutcome {
    /// The customer the record ended up on.
    pub fn customer(&self) -> CustomerId {
        match self {
            Self::Created(id) | Self::Updated(id) | Self::Unchanged(id) => *id,
            Self::Merged { survivor, .. } => *survivor,
        }
    }
}

impl Store {
    /// The customer with this id; an id absorbed by a merge yields the survivor.
    pub fn customer(&self, id: CustomerId) -> Result<Option<Customer>> {
        let Some(id) = self.resolve(id)? else {
            return Ok(None);
        };
        self.customer_exact(id)
    }

    /// Reads a customer record without following merges.
    pub(crate) fn customer_exact(&self, id: CustomerId) -> Result<Option<Customer>> {
        match self
            .customers
            .get(keys::customer_key(id))
            .map_err(|e| self.sled(e))?
        {
            Some(bytes) => Ok(Some(Customer::from_stored(id, decode("customer", &bytes)?))),
            None => Ok(None),
        }
    }

    /// Follows merges: the id a customer id lives on now, or `None` if it never existed.
    pub fn resolve(&self, mut id: CustomerId) -> Result<Option<CustomerId>> {
        // Merges form chains (A into B, later B into C); each hop goes to a lower id.
        loop {
            if self
                .customers
                .contains_key(keys::customer_key(id))
                .map_err(|e| self.sled(e))?
            {
                return Ok(Some(id));
            }
            match self
                .merged
                .get(keys::customer_key(id))
                .map_err(|e| self.sled(e))?
            {
                Some(next) => match keys::decode_customer(&next) {
                    Some(next) if next < id => id = next,
                    _ => return Ok(None),
                },
                None => return Ok(None),
            }
        }
    }

    /// The id a customer lives on now; the id itself when unknown or unreadable (reads then
    /// simply find nothing).
    ///
    /// Only the `merged` tree is consulted: a live id is never a key there and ids are never
    /// reused, so unlike [`Store::resolve`] this costs no lookup in the large `customers` tree
    /// (the engine reads consent and history of every customer every day through it).
    pub(crate) fn live_id(&self, mut id: CustomerId) -> CustomerId {
        if !self.has_merges.load(std::sync::atomic::Ordering::Acquire) {
            return id;
        }
        while let Ok(Some(next)) = self.merged.get(keys::customer_key(id)) {
            match keys::decode_customer(&next) {
                Some(next) if next < id => id = next,
                _ => break,
            }
        }
        id
    }

    /// The customer with this email (normalised first); `None` when unknown or malformed.
    pub fn find_by_email(&self, email: &str) -> Result<Option<Customer>> {
        match normalize_email(email) {
            Ok(email) => self.find_by_key(keys::EMAIL, &email),
            Err(_) => Ok(None),
        }
    }

    /// The customer with this Klaviyo profile id.
    pub fn find_by_klaviyo_id(&self, klaviyo_id: &str) -> Result<Option<Customer>> {
        match normalize_klaviyo_id(klaviyo_id) {
            Ok(id) => self.find_by_key(keys::KLAVIYO, &id),
            Err(_) => Ok(None),
        }
    }

    /// The customer last seen with this cookie.
    pub fn find_by_cookie(&self, cookie: &str) -> Result<Option<Customer>> {
        match normalize_cookie(cookie) {
            Ok(cookie) => self.find_by_key(keys::COOKIE, &cookie),
            Err(_) => Ok(None),
        }
    }

    /// The customer known by any identifier: an email, a Klaviyo id, a cookie, or an
    /// internal id (`#42` or `42`), tried in that order.
    pub fn find_by_any(&self, id: &str) -> Result<Option<Customer>> {
        if id.contains('@') {
            return self.find_by_email(id);
        }
        if let Some(found) = self.find_by_klaviyo_id(id)? {
            return Ok(Some(found));
        }
        if let Some(found) = self.find_by_cookie(id)? {
            return Ok(Some(found));
        }
        match id.trim().trim_start_matches('#').parse::<u64>() {
            Ok(number) => self.customer(CustomerId(number)),
            Err(_) => Ok(None),
        }
    }

    /// Looks an identifier up in the index (kind byte and normalised value).
    pub(crate) fn lookup_id(&self, kind: u8, value: &str) -> Result<Option<CustomerId>> {
        let found = self
            .ids
            .get(keys::id_key(kind, value))
            .map_err(|e| self.sled(e))?;
        Ok(found.as_deref().and_then(keys::decode_customer))
    }

    fn find_by_key(&self, kind: u8, value: &str) -> Result<Option<Customer>> {
        match self.lookup_id(kind, value)? {
            Some(id) => self.customer(id),
            None => Ok(None),
        }
    }

    /// Every customer in id order, streamed from disk (memory does not grow with the store).
    pub fn customers(&self) -> impl Iterator<Item = Result<Customer>> + '_ {
        self.customers.iter().map(move |entry| {
            let (key, value) = entry.map_err(|e| self.sled(e))?;
            let id = keys::decode_customer(&key).ok_or_else(|| super::StoreError::Corrupt {
                what: "customer key",
                detail: format!("{} bytes", key.len()),
            })?;
            Ok(Customer::from_stored(id, decode("customer", &value)?))
        })
    }

    /// Number of customers. Walks the keys, so it takes time proportional to the store.
    /// Stops at the first entry that cannot be read (use [`Store::try_count`] to learn of
    /// it).
    pub fn count(&self) -> usize {
        self.walk_count().0
    }

    /// Number of customers, or the error of the first entry that cannot be read (a damaged
    /// store).
    pub fn try_count(&self) -> Result<usize> {
        match self.walk_count() {
            (count, None) => Ok(count),
            (_, Some(error)) => Err(error),
        }
    }

    /// Counts keys up to the first error. sled's own `len` counts errors as entries, and its
    /// iterator yields the same error again and again on a damaged page, so it never ends.
    fn walk_count(&self) -> (usize, Option<super::StoreError>) {
        let mut count = 0;
        for entry in self.customers.iter().keys() {
            if let Err(e) = entry {
                return (count, Some(self.sled(e)));
            }
            count += 1;
        }
        (count, None)
    }

    /// Sets properties of an existing customer (a `null` value removes one); returns whether
    /// anything changed. Used by the engine's `set_property` node.
    pub fn set_properties(
        &self,
        id: CustomerId,
        properties: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let _guard = self.identity_guard();
        let id = self
            .resolve(id)?
            .ok_or(super::StoreError::UnknownCustomer(id))?;
        let mut customer = self
            .customer_exact(id)?
            .ok_or(super::StoreError::UnknownCustomer(id))?;
        if !super::identity::apply_properties(&mut customer, properties, &[]) {
            return Ok(false);
        }
        customer.updated = now;
        self.write_customer(&customer)?;
        Ok(true)
    }

    /// Writes a customer record.
    pub(crate) fn write_customer(&self, customer: &Customer) -> Result<()> {
        let value = super::encode("customer", &customer.to_stored())?;
        self.customers
            .insert(keys::customer_key(customer.id), value)
            .map_err(|e| self.sled(e))?;
        Ok(())
    }
}
