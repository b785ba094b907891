//! Key encoding of every store tree.
//!
//! All integers are big-endian so that sled's byte-wise key order equals numeric order,
//! and related writes land next to each other (a customer's events share a prefix, the
//! event log grows at its end).
//!
//! | tree        | key                                            | value                          |
//! |-------------|------------------------------------------------|--------------------------------|
//! | `customers` | customer id (u64, 8 bytes)                     | [`StoredCustomer`] JSON        |
//! | `ids`       | kind byte (`e` email, `k` Klaviyo, `c` cookie) + normalised id | customer id (8)|
//! | `merged`    | absorbed customer id (8)                       | surviving customer id (8)      |
//! | `merge_log` | journal position (8)                          | absorbed (8) + survivor (8)    |
//! | `events`    | customer id (8) + time (8) + sequence (8)      | [`StoredEvent`] JSON           |
//! | `event_log` | sequence of the chunk's first event (8)        | chunk: per event customer (8) + time (8) + length (4) + [`StoredEvent`] JSON |
//! | `consent`   | customer id (8) + category (UTF-8)             | [`ConsentState`] JSON          |
//!
//! Time is milliseconds since the Unix epoch as an `i64` with its sign bit flipped, so that
//! instants before 1970 still sort first.
//!
//! [`StoredCustomer`]: super::StoredCustomer
//! [`StoredEvent`]: super::StoredEvent
//! [`ConsentState`]: super::ConsentState

use chrono::{DateTime, TimeZone, Utc};

use super::CustomerId;

/// The kind byte of an email id in the `ids` tree.
pub const EMAIL: u8 = b'e';
/// The kind byte of a Klaviyo profile id in the `ids` tree.
pub const KLAVIYO: u8 = b'k';
/// The kind byte of a cookie in the `ids` tree.
pub const COOKIE: u8 = b'c';

/// Key of an identifier in the `ids` tree.
pub fn id_key(kind: u8, value: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + value.len());
    key.push(kind);
    key.extend_from_slice(value.as_bytes());
    key
}

/// Key of a customer in the `customers` tree (and prefix of its events and consents).
pub fn customer_key(id: CustomerId) -> [u8; 8] {
    id.0.to_be_bytes()
}

/// Decodes an 8-byte big-endian customer id.
pub fn decode_customer(bytes: &[u8]) -> Option<CustomerId> {
    let array: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
    Some(CustomerId(u64::from_be_bytes(array)))
}

/// Encodes an instant so that byte order is time order.
pub fn time_bytes(at: DateTime<Utc>) -> [u8; 8] {
    ((at.timestamp_millis() as u64) ^ (1 << 63)).to_be_bytes()
}

/// Decodes [`time_bytes`]; `None` for bytes that are not an instant chrono can represent.
pub fn decode_time(bytes: &[u8]) -> Option<DateTime<Utc>> {
    let array: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
    let millis = (u64::from_be_bytes(array) ^ (1 << 63)) as i64;
    Utc.timestamp_millis_opt(millis).single()
}

/// Key of an event in the `events` tree: customer, time, sequence.
pub fn event_key(customer: CustomerId, at: DateTime<Utc>, seq: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..8].copy_from_slice(&customer_key(customer));
    key[8..16].copy_from_slice(&time_bytes(at));
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// Decodes an `events` key into (customer, time, sequence).
pub fn decode_event_key(key: &[u8]) -> Option<(CustomerId, DateTime<Utc>, u64)> {
    if key.len() != 24 {
        return None;
    }
    let customer = decode_customer(&key[..8])?;
    let at = decode_time(&key[8..16])?;
    let seq = u64::from_be_bytes(key[16..].try_into().ok()?);
    Some((customer, at, seq))
}

/// Key of a consent state: customer, then category.
pub fn consent_key(customer: CustomerId, category: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + category.len());
    key.extend_from_slice(&customer_key(customer));
    key.extend_from_slice(category.as_bytes());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_bytes_sort_in_time_order_across_the_epoch() {
        let before = Utc.timestamp_millis_opt(-5).unwrap();
        let epoch = Utc.timestamp_millis_opt(0).unwrap();
        let after = Utc.timestamp_millis_opt(1_700_000_000_000).unwrap();
        assert!(time_bytes(before) < time_bytes(epoch));
        assert!(time_bytes(epoch) < time_bytes(after));
        assert_eq!(decode_time(&time_bytes(before)), Some(before));
    }

    #[test]
    fn event_keys_round_trip_and_group_by_customer() {
        let at = Utc.timestamp_millis_opt(1_700_000_000_123).unwrap();
        let key = event_key(CustomerId(7), at, 42);
        assert_eq!(decode_event_key(&key), Some((CustomerId(7), at, 42)));
        assert!(event_key(CustomerId(7), at, 43) < event_key(CustomerId(8), Utc::now(), 0));
    }
}
