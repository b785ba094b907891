//! What a seed file leaves out, decided deterministically: ids from a SHA-256 of what
//! identifies the record, in Klaviyo's shapes, and default times.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use ulid::Ulid;

use super::format::{SeedFile, SeedProfile};
use crate::klaviyo::fake::model::ChannelConsent;
use crate::klaviyo::ids::short_id;

/// The origin of a file that gives no time at all.
const FALLBACK_ORIGIN: i64 = 1_577_836_800; // 2020-01-01T00:00:00Z

fn digest(parts: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().into()
}

fn hash_u64(parts: &[&str]) -> u64 {
    let d = digest(parts);
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

pub(super) fn hash_u128(parts: &[&str]) -> u128 {
    let d = digest(parts);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&d[..16]);
    u128::from_le_bytes(bytes)
}

/// A 6-character id derived from `name`, not yet in `taken`.
pub(super) fn short_id_for(namespace: &str, name: &str, taken: &mut HashSet<String>) -> String {
    (0u32..)
        .map(|n| short_id(hash_u64(&[namespace, name, &n.to_string()])))
        .find(|id| taken.insert(id.clone()))
        .unwrap_or_default()
}

pub(super) fn ulid_at(at: DateTime<Utc>, random: u128) -> Ulid {
    let ms = at.timestamp_millis().clamp(0, (1 << 48) - 1) as u64;
    Ulid::from_parts(ms, random)
}

fn channel_times(channel: &ChannelConsent) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    let suppressions = channel.suppression.iter().chain(&channel.list_suppressions);
    [channel.consent_timestamp, channel.last_updated]
        .into_iter()
        .flatten()
        .chain(suppressions.map(|s| s.timestamp))
}

pub(super) fn own_times(p: &SeedProfile) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    let s = &p.subscriptions;
    channel_times(&s.email).chain(channel_times(&s.sms))
}

/// The earliest time anywhere in the file.
pub(super) fn origin(file: &SeedFile) -> DateTime<Utc> {
    let lists = file.lists.iter().filter_map(|l| l.created);
    let metrics = file.metrics.iter().filter_map(|m| m.created);
    let profiles = file
        .profiles
        .iter()
        .flat_map(|p| p.created.into_iter().chain(p.updated).chain(own_times(p)));
    let events = file.events.iter().map(|e| e.datetime);
    lists
        .chain(metrics)
        .chain(profiles)
        .chain(events)
        .min()
        .unwrap_or_else(|| DateTime::from_timestamp(FALLBACK_ORIGIN, 0).unwrap_or_default())
}
