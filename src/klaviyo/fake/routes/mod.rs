//! Handlers of the fake, one file per resource family.

pub mod events;
pub mod jobs;
pub mod lists;
mod members;
pub mod profiles;
pub mod segments;

use axum::body::Bytes;
use serde_json::Value;

use super::errors::ApiError;

/// Parses a JSON:API request body and checks `data.type`.
pub fn body(bytes: &Bytes, expected_type: &str) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_pointer("/data", format!("Malformed JSON: {e}")))?;
    let data = value
        .get("data")
        .ok_or_else(|| ApiError::invalid_pointer("/data", "'data' is a required field."))?;
    let types_ok = match data {
        Value::Array(items) => items.iter().all(|i| i["type"] == expected_type),
        other => other["type"] == expected_type,
    };
    if !types_ok {
        return Err(ApiError::invalid_pointer(
            "/data/type",
            format!("Invalid type. Expected '{expected_type}'."),
        ));
    }
    Ok(value)
}

/// A string attribute, `Ok(None)` when absent or null, 400 when of another type.
pub fn text_attribute<'a>(
    attributes: &'a Value,
    name: &str,
    pointer: &str,
) -> Result<Option<&'a str>, ApiError> {
    match attributes.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid_pointer(
            &format!("{pointer}/{name}"),
            format!("'{name}' must be a string."),
        )),
    }
}

/// Whether a phone number is E.164 (`+` and 2–15 digits, no leading zero).
pub fn is_e164(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}
