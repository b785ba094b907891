//! Validation of ingest bodies: JSON in, store records out, or a 400 naming the field.
//!
//! Bodies are walked as JSON values rather than deserialised straight into structs so that
//! every problem names its exact path (`events[3].timestamp`, `customers[0].properties`)
//! and so that a whole batch is checked before anything is written: a batch is accepted
//! entirely or not at all.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::ApiError;
use crate::store::identity::{normalize_cookie, normalize_email, normalize_klaviyo_id};
use crate::store::{CustomerRecord, Event};

/// Most items one batch may carry; larger imports go through several requests.
pub const MAX_BATCH: usize = 10_000;

const CUSTOMER_FIELDS: &[&str] = &["email", "klaviyo_id", "cookie", "properties", "tags"];
const EVENT_FIELDS: &[&str] = &[
    "email",
    "klaviyo_id",
    "cookie",
    "type",
    "timestamp",
    "properties",
];

/// An event to record and the identifiers of its customer.
#[derive(Debug, Clone, PartialEq)]
pub struct EventItem {
    /// Identifiers only: the customer is found or created by them.
    pub customer: CustomerRecord,
    /// The event.
    pub event: Event,
}

/// What the validation needs to know about the project.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Consent categories of the project; empty means any category is accepted.
    pub categories: BTreeSet<String>,
}

/// Parses a customer upsert body: one customer object, or `{"customers":[…]}`.
pub fn customers(body: &Value) -> Result<Vec<CustomerRecord>, ApiError> {
    batch(body, "customers", customer)
}

/// Parses an event body: one event object, or `{"events":[…]}`. Events without a
/// `timestamp` happened `now`.
pub fn events(body: &Value, rules: &Rules, now: DateTime<Utc>) -> Result<Vec<EventItem>, ApiError> {
    batch(body, "events", |item, path| event(item, path, rules, now))
}

/// Applies `parse` to the single object or to every element of the batch array `key`.
fn batch<T>(
    body: &Value,
    key: &str,
    parse: impl Fn(&Map<String, Value>, &str) -> Result<T, ApiError>,
) -> Result<Vec<T>, ApiError> {
    let object = body.as_object().ok_or_else(|| {
        ApiError::invalid(
            "body",
            format!("expected a JSON object, found {}", kind(body)),
        )
    })?;
    let Some(items) = object.get(key) else {
        return Ok(vec![parse(object, "")?]);
    };
    if let Some(other) = object.keys().find(|name| name.as_str() != key) {
        return Err(ApiError::invalid(
            other.as_str(),
            format!("a batch body has only the field `{key}`"),
        ));
    }
    let items = items.as_array().ok_or_else(|| {
        ApiError::invalid(key, format!("expected an array, found {}", kind(items)))
    })?;
    if items.is_empty() {
        return Err(ApiError::invalid(key, "the batch is empty"));
    }
    if items.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            key,
            format!("{} items; a batch holds at most {MAX_BATCH}", items.len()),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let path = format!("{key}[{index}]");
            let object = item.as_object().ok_or_else(|| {
                ApiError::invalid(
                    path.as_str(),
                    format!("expected an object, found {}", kind(item)),
                )
            })?;
            parse(object, &path)
        })
        .collect()
}

fn customer(object: &Map<String, Value>, path: &str) -> Result<CustomerRecord, ApiError> {
    known_fields(object, path, CUSTOMER_FIELDS)?;
    let mut record = identifiers(object, path)?;
    if let Some(value) = object.get("properties") {
        record.properties = properties(value, &join(path, "properties"))?;
    }
    if let Some(value) = object.get("tags") {
        record.tags = tags(value, &join(path, "tags"))?;
    }
    Ok(record)
}

fn event(
    object: &Map<String, Value>,
    path: &str,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<EventItem, ApiError> {
    known_fields(object, path, EVENT_FIELDS)?;
    let customer = identifiers(object, path)?;
    let type_path = join(path, "type");
    let event_type = match object.get("type") {
        None => return Err(ApiError::invalid(type_path, "an event needs a `type`")),
        Some(Value::String(text)) if !text.trim().is_empty() => text.trim().to_owned(),
        Some(Value::String(_)) => return Err(ApiError::invalid(type_path, "the type is empty")),
        Some(other) => return Err(expected(type_path, "a string", other)),
    };
    let timestamp = match object.get("timestamp") {
        None | Some(Value::Null) => now,
        Some(value) => date_time(value, &join(path, "timestamp"))?,
    };
    let properties = match object.get("properties") {
        Some(value) => properties(value, &join(path, "properties"))?,
        None => Map::new(),
    };
    if event_type == "consent" {
        consent(&properties, &join(path, "properties"), rules)?;
    }
    Ok(EventItem {
        customer,
        event: Event {
            event_type,
            timestamp,
            properties,
        },
    })
}

/// The identifiers of a customer or event object, normalised as the store will.
fn identifiers(object: &Map<String, Value>, path: &str) -> Result<CustomerRecord, ApiError> {
    type Normalize = fn(&str) -> Result<String, crate::store::StoreError>;
    let mut found: [Option<String>; 3] = [None, None, None];
    let fields: [(&str, Normalize); 3] = [
        ("email", normalize_email),
        ("klaviyo_id", normalize_klaviyo_id),
        ("cookie", normalize_cookie),
    ];
    for (slot, (name, normalize)) in found.iter_mut().zip(fields) {
        let field = join(path, name);
        match object.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => {
                normalize(text)
                    .map_err(|error| ApiError::invalid(field.as_str(), error.to_string()))?;
                *slot = Some(text.clone());
            }
            Some(other) => return Err(expected(field, "a string", other)),
        }
    }
    let [email, klaviyo_id, cookie] = found;
    if email.is_none() && klaviyo_id.is_none() && cookie.is_none() {
        return Err(ApiError::invalid(
            join(path, "email"),
            "at least one of `email`, `klaviyo_id` or `cookie` is required",
        ));
    }
    Ok(CustomerRecord {
        email,
        klaviyo_id,
        cookie,
        ..CustomerRecord::default()
    })
}

/// Checks the properties the store requires of a `consent` event.
fn consent(properties: &Map<String, Value>, path: &str, rules: &Rules) -> Result<(), ApiError> {
    let action_path = join(path, "action");
    match properties.get("action") {
        Some(Value::String(action)) if action == "accept" || action == "reject" => {}
        Some(Value::String(action)) => {
            return Err(ApiError::invalid(
                action_path,
                format!("`{action}` is not a consent action; expected `accept` or `reject`"),
            ))
        }
        Some(other) => return Err(expected(action_path, "`accept` or `reject`", other)),
        None => {
            return Err(ApiError::invalid(
                action_path,
                "a consent event needs `action` (`accept` or `reject`)",
            ))
        }
    }
    let category_path = join(path, "category");
    let category = match properties.get("category") {
        Some(Value::String(text)) if !text.trim().is_empty() => text.trim(),
        Some(Value::String(_)) | None => {
            return Err(ApiError::invalid(
                category_path,
                "a consent event needs a `category`",
            ))
        }
        Some(other) => return Err(expected(category_path, "a string", other)),
    };
    if !rules.categories.is_empty() && !rules.categories.contains(category) {
        let known: Vec<&str> = rules.categories.iter().map(String::as_str).collect();
        return Err(ApiError::invalid(
            category_path,
            format!(
                "unknown consent category `{category}`; the project defines: {}",
                known.join(", ")
            ),
        ));
    }
    match properties.get("valid_until") {
        None | Some(Value::Null) => Ok(()),
        Some(value) => date_time(value, &join(path, "valid_until")).map(drop),
    }
}

fn date_time(value: &Value, path: &str) -> Result<DateTime<Utc>, ApiError> {
    let Value::String(text) = value else {
        return Err(expected(path, "an RFC 3339 date-time string", value));
    };
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| {
            ApiError::invalid(
                path,
                format!(
                    "`{text}` is not an RFC 3339 date-time such as `2026-12-01T09:00:00Z`: {error}"
                ),
            )
        })
}

fn properties(value: &Value, path: &str) -> Result<Map<String, Value>, ApiError> {
    let object = value
        .as_object()
        .ok_or_else(|| expected(path, "an object", value))?;
    if let Some(name) = object.keys().find(|name| name.trim().is_empty()) {
        return Err(ApiError::invalid(
            path,
            format!("property name `{name}` is empty"),
        ));
    }
    Ok(object.clone())
}

fn tags(value: &Value, path: &str) -> Result<Vec<String>, ApiError> {
    let items = value
        .as_array()
        .ok_or_else(|| expected(path, "an array of strings", value))?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| match item {
            Value::String(tag) if !tag.trim().is_empty() => Ok(tag.trim().to_owned()),
            Value::String(_) => Err(ApiError::invalid(
                format!("{path}[{index}]"),
                "the tag is empty",
            )),
            other => Err(expected(format!("{path}[{index}]"), "a string", other)),
        })
        .collect()
}

fn known_fields(object: &Map<String, Value>, path: &str, known: &[&str]) -> Result<(), ApiError> {
    match object.keys().find(|name| !known.contains(&name.as_str())) {
        Some(unknown) => Err(ApiError::invalid(
            join(path, unknown),
            format!(
                "unknown field `{unknown}`; expected one of {}",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn expected(path: impl Into<String>, what: &str, found: &Value) -> ApiError {
    ApiError::invalid(path, format!("expected {what}, found {}", kind(found)))
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// How a JSON value is called in messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
