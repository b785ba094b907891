//! Identifier normalisation and the identity-resolution (merge) rule.
//!
//! A customer has up to two **hard IDs** — `email_id` (the email address, trimmed and
//! lower-cased) and `klaviyo_id` (the Klaviyo profile id, trimmed) — and any number of
//! **soft IDs** (`cookie`). Every identifier maps to exactly one customer.
//!
//! When a record arrives (import row, event, API call) the store resolves it like this:
//!
//! 1. Each hard ID on the record is looked up. If they point to **two different customers**,
//!    those customers are the same person and are **merged**: the one with the **lowest
//!    [`CustomerId`]** (the oldest) survives. Properties combine key by key, the values of the
//!    more recently updated customer winning conflicts; then the record's own properties are
//!    applied. Events of the absorbed customer move to the survivor (keeping their times and
//!    sequence numbers), consent states combine per category (the most recent decision wins),
//!    cookies are united, and the absorbed id keeps resolving to the survivor.
//! 2. A hard ID on the record that the surviving customer has with a *different* value
//!    replaces it (a profile whose email changed): the old value stops resolving.
//! 3. A **soft ID** (cookie) only ever merges an **anonymous** customer (one without hard IDs)
//!    into the identified one. A cookie that points to a customer with different hard IDs
//!    never merges anything: it is moved to the customer the record identifies (the browser
//!    now belongs to that person).
//! 4. With no hard ID on the record, the cookie's customer is updated, or a new anonymous
//!    customer is created.
//!
//! [`CustomerId`]: super::CustomerId

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{keys, Customer, CustomerId, CustomerRecord, Result, Store, StoreError, UpsertOutcome};

/// Normalises an email address to its `email_id`: trimmed, lower-cased, and checked for a
/// plausible shape (one `@`, a local part, a dotted domain, no spaces or control characters).
pub fn normalize_email(raw: &str) -> Result<String, StoreError> {
    let email = raw.trim().to_lowercase();
    let invalid = |reason: &str| StoreError::InvalidId {
        kind: "email",
        reason: format!("`{}` {reason}", raw.trim()),
    };
    if email.is_empty() {
        return Err(StoreError::InvalidId {
            kind: "email",
            reason: "it is empty".into(),
        });
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(invalid("has no `@`"));
    };
    if local.is_empty() {
        return Err(invalid("has nothing before `@`"));
    }
    if domain.contains('@') {
        return Err(invalid("has more than one `@`"));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("contains a space or control character"));
    }
    let labels_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && label
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    });
    if !domain.contains('.') || !labels_ok {
        return Err(invalid("has no valid domain after `@`"));
    }
    Ok(email)
}

/// Normalises a Klaviyo profile id: trimmed, non-empty, no inner whitespace.
pub fn normalize_klaviyo_id(raw: &str) -> Result<String, StoreError> {
    normalize_token("klaviyo_id", raw)
}

/// Normalises a cookie: trimmed, non-empty, no inner whitespace.
pub fn normalize_cookie(raw: &str) -> Result<String, StoreError> {
    normalize_token("cookie", raw)
}

fn normalize_token(kind: &'static str, raw: &str) -> Result<String, StoreError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(StoreError::InvalidId {
            kind,
            reason: "it is empty".into(),
        });
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(StoreError::InvalidId {
            kind,
            reason: format!("`{value}` contains a space or control character"),
        });
    }
    Ok(value.to_owned())
}

/// A record's identifiers after normalisation.
struct Ids {
    email: Option<String>,
    klaviyo_id: Option<String>,
    cookie: Option<String>,
}

impl Ids {
    fn of(record: &CustomerRecord) -> Result<Self> {
        let ids = Self {
            email: record.email.as_deref().map(normalize_email).transpose()?,
            klaviyo_id: record
                .klaviyo_id
                .as_deref()
                .map(normalize_klaviyo_id)
                .transpose()?,
            cookie: record.cookie.as_deref().map(normalize_cookie).transpose()?,
        };
        if ids.email.is_none() && ids.klaviyo_id.is_none() && ids.cookie.is_none() {
            return Err(StoreError::NoId);
        }
        Ok(ids)
    }

    fn is_hard(&self) -> bool {
        self.email.is_some() || self.klaviyo_id.is_some()
    }
}

impl Store {
    /// Creates or updates the customer a record identifies, merging customers when the
    /// record's hard IDs join them (see the [module documentation](self) for the rule).
    pub fn upsert(&self, record: &CustomerRecord) -> Result<UpsertOutcome> {
        self.upsert_at(record, Utc::now())
    }

    /// [`Store::upsert`] with an explicit clock (simulations, tests).
    pub fn upsert_at(&self, record: &CustomerRecord, now: DateTime<Utc>) -> Result<UpsertOutcome> {
        let ids = Ids::of(record)?;
        let _guard = self.identity_guard();
        let (mut customer, existed, absorbed) = self.resolve_record(&ids, now)?;
        let before = customer.clone();
        let mut index = Vec::new();
        for other in &absorbed {
            self.absorb(&mut customer, *other, &mut index)?;
        }
        attach_ids(&mut customer, &ids, &mut index, self)?;
        apply_properties(&mut customer, &record.properties, &record.tags);
        if let Some(email) = &customer.email_id {
            if customer.properties.get("email").and_then(Value::as_str) != Some(email) {
                customer
                    .properties
                    .insert("email".into(), Value::String(email.clone()));
            }
        }
        if existed && absorbed.is_empty() && customer == before {
            return Ok(UpsertOutcome::Unchanged(customer.id));
        }
        customer.updated = now;
        // The record goes first: an index entry never points at a customer that is not there.
        self.write_customer(&customer)?;
        for (key, target) in index {
            match target {
                Some(id) => self.ids.insert(key, &keys::customer_key(id)),
                None => self.ids.remove(key),
            }
            .map_err(|e| self.sled(e))?;
        }
        Ok(match (existed, absorbed.is_empty()) {
            (_, false) => UpsertOutcome::Merged {
                survivor: customer.id,
                absorbed,
            },
            (true, true) => UpsertOutcome::Updated(customer.id),
            (false, true) => UpsertOutcome::Created(customer.id),
        })
    }

    /// Finds the surviving customer for a record (or a new one) and who merges into it.
    fn resolve_record(
        &self,
        ids: &Ids,
        now: DateTime<Utc>,
    ) -> Result<(Customer, bool, Vec<CustomerId>)> {
        let mut hits = Vec::new();
        for (kind, value) in [(keys::EMAIL, &ids.email), (keys::KLAVIYO, &ids.klaviyo_id)] {
            if let Some(value) = value {
                if let Some(found) = self.lookup_live(kind, value)? {
                    hits.push(found);
                }
            }
        }
        let by_cookie = match &ids.cookie {
            Some(cookie) => self.lookup_live(keys::COOKIE, cookie)?,
            None => None,
        };
        hits.sort_by_key(|c| c.id);
        hits.dedup_by_key(|c| c.id);
        let mut hits = hits.into_iter();
        let Some(survivor) = hits.next() else {
            // No hard ID is known: the cookie's customer, if it may take these hard IDs.
            return Ok(match by_cookie {
                Some(found) if !found.is_identified() || !ids.is_hard() => (found, true, vec![]),
                _ => (Customer::new(self.next_customer_id()?, now), false, vec![]),
            });
        };
        let mut absorbed: Vec<CustomerId> = hits.map(|c| c.id).collect();
        if let Some(anonymous) = by_cookie.filter(|c| !c.is_identified() && c.id != survivor.id) {
            absorbed.push(anonymous.id);
        }
        Ok((survivor, true, absorbed))
    }

    /// Looks an identifier up and loads its customer, ignoring dangling index entries.
    fn lookup_live(&self, kind: u8, value: &str) -> Result<Option<Customer>> {
        match self.lookup_id(kind, value)? {
            Some(id) => self.customer(id),
            None => Ok(None),
        }
    }

    /// A fresh customer id (starts at 1, never reused, survives restarts).
    fn next_customer_id(&self) -> Result<CustomerId> {
        let id = self.db.generate_id().map_err(|e| self.sled(e))?;
        Ok(CustomerId(id + 1))
    }

    /// Merges customer `other` into `survivor`: properties, identifiers, events, consent.
    fn absorb(
        &self,
        survivor: &mut Customer,
        other: CustomerId,
        index: &mut Vec<(Vec<u8>, Option<CustomerId>)>,
    ) -> Result<()> {
        let Some(other) = self.customer_exact(other)? else {
            return Ok(());
        };
        let newer = other.updated > survivor.updated;
        for (name, value) in other.properties {
            if newer || !survivor.properties.contains_key(&name) {
                survivor.properties.insert(name, value);
            }
        }
        // Every identifier of the absorbed customer now resolves to the survivor.
        let hard = [
            (keys::EMAIL, &other.email_id),
            (keys::KLAVIYO, &other.klaviyo_id),
        ];
        for (kind, value) in hard {
            if let Some(value) = value {
                index.push((keys::id_key(kind, value), Some(survivor.id)));
            }
        }
        survivor.email_id = survivor.email_id.take().or(other.email_id);
        survivor.klaviyo_id = survivor.klaviyo_id.take().or(other.klaviyo_id);
        for cookie in other.cookies {
            index.push((keys::id_key(keys::COOKIE, &cookie), Some(survivor.id)));
            if !survivor.cookies.contains(&cookie) {
                survivor.cookies.push(cookie);
            }
        }
        survivor.created = survivor.created.min(other.created);
        // Before anything moves, so that no read skips the merge table from here on.
        self.has_merges
            .store(true, std::sync::atomic::Ordering::Release);
        self.move_events(other.id, survivor.id)?;
        self.merge_consents(other.id, survivor.id)?;
        self.record_merge(other.id, survivor.id)?;
        self.customers
            .remove(keys::customer_key(other.id))
            .map_err(|e| self.sled(e))?;
        Ok(())
    }

    /// Locks identity changes; a poisoned lock is still usable (the data lives in sled).
    pub(crate) fn identity_guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.identity_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Gives the customer the record's identifiers, queueing index changes.
fn attach_ids(
    customer: &mut Customer,
    ids: &Ids,
    index: &mut Vec<(Vec<u8>, Option<CustomerId>)>,
    store: &Store,
) -> Result<()> {
    let hard = [
        (keys::EMAIL, &ids.email, &mut customer.email_id),
        (keys::KLAVIYO, &ids.klaviyo_id, &mut customer.klaviyo_id),
    ];
    for (kind, new, current) in hard {
        let Some(new) = new else { continue };
        if current.as_ref() == Some(new) {
            continue;
        }
        // A changed hard ID replaces the old one, which stops resolving.
        if let Some(old) = current.replace(new.clone()) {
            if store.lookup_id(kind, &old)? == Some(customer.id) {
                index.push((keys::id_key(kind, &old), None));
            }
        }
        index.push((keys::id_key(kind, new), Some(customer.id)));
    }
    if let Some(cookie) = &ids.cookie {
        if !customer.cookies.contains(cookie) {
            customer.cookies.push(cookie.clone());
        }
        if store.lookup_id(keys::COOKIE, cookie)? != Some(customer.id) {
            index.push((keys::id_key(keys::COOKIE, cookie), Some(customer.id)));
        }
    }
    Ok(())
}

/// Applies properties (`null` removes) and tags; returns whether anything changed.
pub(crate) fn apply_properties(
    customer: &mut Customer,
    properties: &Map<String, Value>,
    tags: &[String],
) -> bool {
    let mut changed = false;
    for (name, value) in properties {
        if value.is_null() {
            changed |= customer.properties.remove(name).is_some();
        } else if customer.properties.get(name) != Some(value) {
            customer.properties.insert(name.clone(), value.clone());
            changed = true;
        }
    }
    if !tags.is_empty() {
        let list = customer
            .properties
            .entry("tags")
            .or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            // A scalar `tags` (e.g. from a CSV column) becomes the first element of the list.
            *list = Value::Array(vec![list.take()]);
            changed = true;
        }
        if let Value::Array(items) = list {
            for tag in tags {
                if !items.iter().any(|item| item.as_str() == Some(tag)) {
                    items.push(Value::String(tag.clone()));
                    changed = true;
                }
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalize_email("  Jane.Doe@GMail.COM \t").unwrap(),
            "jane.doe@gmail.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused_with_a_reason() {
        for (raw, reason) in [
            ("", "empty"),
            ("jane", "no `@`"),
            ("@gmail.com", "nothing before"),
            ("a@b@c.com", "more than one"),
            ("jane doe@gmail.com", "space"),
            ("jane@localhost", "no valid domain"),
            ("jane@gmail..com", "no valid domain"),
        ] {
            let error = normalize_email(raw).unwrap_err().to_string();
            assert!(error.contains(reason), "{raw:?}: {error}");
        }
    }

    #[test]
    fn tokens_are_trimmed_and_must_not_be_empty() {
        assert_eq!(normalize_klaviyo_id(" 01H ").unwrap(), "01H");
        assert!(normalize_cookie("  ").is_err());
        assert!(normalize_cookie("a b").is_err());
    }
}
