//! Key encoding of the engine state (one sled tree, `engine/state`).
//!
//! Integers are big-endian so byte order is numeric order; related writes are adjacent
//! (a run's tokens share a prefix, the due index is ordered by time).
//!
//! | prefix | key                                                 | value                     |
//! |--------|-----------------------------------------------------|---------------------------|
//! | `r`    | run id (8)                                          | run record (JSON)         |
//! | `v`    | scenario, 0, version                                | scenario source (YAML)    |
//! | `g`    | scenario, 0, trigger id                             | trigger state (JSON)      |
//! | `t`    | run (8), customer (8)                               | token record (JSON)       |
//! | `d`    | due time (8), run (8), node index (4), customer (8) | empty                     |
//! | `c`    | run (8), local date (4), node id, 0, metric         | count (8)                 |
//! | `k`    | cap key                                             | passed so far (8)         |
//! | `f`    | scenario, 0, local date (4), node id, 0, group      | cap in force (8)          |
//! | `l`    | run (8), node index (4), customer (8)               | ledger state (1)          |
//! | `s`    | scenario, 0, local date (4), group, 0, action       | campaign events (8)       |
//! | `m`    | name                                                | meta value                |
//! | `x`    | run (8), node id, 0, failure reason                 | customers (8)             |
//! | `e`    | scenario, 0, local date (4), customer (8)           | run that e-mailed (8)     |

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

/// Encodes an instant so that byte order is time order (milliseconds, sign bit flipped).
pub fn time(at: DateTime<Utc>) -> [u8; 8] {
    ((at.timestamp_millis() as u64) ^ (1 << 63)).to_be_bytes()
}

/// Decodes [`time`].
pub fn decode_time(bytes: &[u8]) -> Option<DateTime<Utc>> {
    let array: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
    Utc.timestamp_millis_opt((u64::from_be_bytes(array) ^ (1 << 63)) as i64)
        .single()
}

/// Encodes a date as days from the common era, big-endian.
pub fn date(day: NaiveDate) -> [u8; 4] {
    (day.num_days_from_ce() as u32).to_be_bytes()
}

/// Decodes [`date`].
pub fn decode_date(bytes: &[u8]) -> Option<NaiveDate> {
    let array: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    NaiveDate::from_num_days_from_ce_opt(u32::from_be_bytes(array) as i32)
}

/// Reads a big-endian u64 at `at`.
pub fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// Reads a big-endian u32 at `at`.
pub fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// A key: a prefix byte followed by parts.
pub fn key(prefix: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
    key.push(prefix);
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

/// Run record key.
pub fn run(id: u64) -> Vec<u8> {
    key(b'r', &[&id.to_be_bytes()])
}

/// Token record key.
pub fn token(run: u64, customer: u64) -> Vec<u8> {
    key(b't', &[&run.to_be_bytes(), &customer.to_be_bytes()])
}

/// Due-index key.
pub fn due(at: DateTime<Utc>, run: u64, node: u32, customer: u64) -> Vec<u8> {
    key(
        b'd',
        &[
            &time(at),
            &run.to_be_bytes(),
            &node.to_be_bytes(),
            &customer.to_be_bytes(),
        ],
    )
}

/// Prefix of one due group: tokens of one run at one node due at one instant.
pub fn due_group(at: DateTime<Utc>, run: u64, node: u32) -> Vec<u8> {
    key(b'd', &[&time(at), &run.to_be_bytes(), &node.to_be_bytes()])
}

/// Key of "this customer was e-mailed by a scheduled run of the scenario on this local day".
pub fn mailed(scenario: &str, date: NaiveDate, customer: u64) -> Vec<u8> {
    key(
        b'e',
        &[
            scenario.as_bytes(),
            &[0],
            &self::date(date),
            &customer.to_be_bytes(),
        ],
    )
}

/// Ledger key.
pub fn ledger(run: u64, node: u32, customer: u64) -> Vec<u8> {
    key(
        b'l',
        &[
            &run.to_be_bytes(),
            &node.to_be_bytes(),
            &customer.to_be_bytes(),
        ],
    )
}

/// A name-scoped key: prefix, name, 0, rest.
pub fn named(prefix: u8, name: &str, rest: &[&[u8]]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = vec![name.as_bytes(), &[0]];
    parts.extend_from_slice(rest);
    key(prefix, &parts)
}
