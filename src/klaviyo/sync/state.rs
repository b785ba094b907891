//! The sync's own state in sled: cursors (`klaviyo/cursors`), Klaviyo event ids already
//! recorded (`klaviyo/event_ids`) and what the store believes about mapped list membership
//! (`klaviyo/members`, key `list id \0 profile id`, value `a` accepted / `r` rejected while
//! still a member / `n` not a member, followed by the time of that observation).

use chrono::{DateTime, Utc};

use super::sink::{CustomerSink, SinkError};

/// Trees of the sync state.
pub struct SyncState {
    cursors: sled::Tree,
    event_ids: sled::Tree,
    members: sled::Tree,
}

/// Membership as the store knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Accepted (consent for the category recorded).
    Accepted,
    /// Still listed in Klaviyo but rejected (suppressed or unsubscribed).
    Rejected,
}

fn store(e: sled::Error) -> SinkError {
    SinkError::Store(e.to_string())
}

fn member_key(list: &str, profile: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(list.len() + profile.len() + 1);
    key.extend_from_slice(list.as_bytes());
    key.push(0);
    key.extend_from_slice(profile.as_bytes());
    key
}

impl SyncState {
    /// Opens the trees in the sink's database.
    pub fn open(sink: &dyn CustomerSink) -> Result<Self, SinkError> {
        Ok(Self {
            cursors: sink.tree("klaviyo/cursors")?,
            event_ids: sink.tree("klaviyo/event_ids")?,
            members: sink.tree("klaviyo/members")?,
        })
    }

    /// A cursor, e.g. `profiles.updated` or `events.<metric id>.datetime`.
    pub fn cursor(&self, name: &str) -> Result<Option<DateTime<Utc>>, SinkError> {
        let Some(bytes) = self.cursors.get(name).map_err(store)? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&bytes);
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| SinkError::Store(format!("corrupt cursor `{name}`: {e}")))
    }

    /// Moves a cursor.
    pub fn set_cursor(&self, name: &str, at: DateTime<Utc>) -> Result<(), SinkError> {
        self.cursors
            .insert(name, at.to_rfc3339().as_bytes())
            .map_err(store)?;
        Ok(())
    }

    /// Forgets every cursor (`--initial`).
    pub fn clear_cursors(&self) -> Result<(), SinkError> {
        self.cursors.clear().map_err(store)
    }

    /// Whether a Klaviyo event was already recorded.
    pub fn seen(&self, event_id: &str) -> Result<bool, SinkError> {
        self.event_ids.contains_key(event_id).map_err(store)
    }

    /// Remembers recorded Klaviyo event ids.
    pub fn mark_seen<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Result<(), SinkError> {
        let mut batch = sled::Batch::default();
        for id in ids {
            batch.insert(id, &[]);
        }
        self.event_ids.apply_batch(batch).map_err(store)
    }

    /// What the store believes about a profile on a list.
    pub fn known(&self, list: &str, profile: &str) -> Result<Option<Known>, SinkError> {
        let value = self.members.get(member_key(list, profile)).map_err(store)?;
        Ok(value.and_then(|v| decode_member(&v).0))
    }

    /// Records what the store now believes (`None`: not a member) as of `at`; an older
    /// observation than the one stored is ignored, because event metrics are read one after
    /// another rather than in time order.
    pub fn set_known(
        &self,
        list: &str,
        profile: &str,
        known: Option<Known>,
        at: DateTime<Utc>,
    ) -> Result<(), SinkError> {
        let key = member_key(list, profile);
        if let Some(old) = self.members.get(&key).map_err(store)? {
            if decode_member(&old).1 > at.timestamp() {
                return Ok(());
            }
        }
        let tag = match known {
            Some(Known::Accepted) => b'a',
            Some(Known::Rejected) => b'r',
            None => b'n',
        };
        let mut value = vec![tag];
        value.extend_from_slice(&at.timestamp().to_be_bytes());
        self.members.insert(key, value).map(drop).map_err(store)
    }

    /// Every profile the store believes is on a list, with what it believes.
    pub fn known_members(
        &self,
        list: &str,
    ) -> impl Iterator<Item = Result<(String, Known), SinkError>> + '_ {
        let prefix = member_key(list, "");
        let skip = prefix.len();
        self.members
            .scan_prefix(prefix)
            .filter_map(move |entry| match entry {
                Err(e) => Some(Err(store(e))),
                Ok((key, value)) => decode_member(&value)
                    .0
                    .map(|known| Ok((String::from_utf8_lossy(&key[skip..]).into_owned(), known))),
            })
    }
}

/// (belief, epoch seconds of the observation) of a stored membership value.
fn decode_member(value: &[u8]) -> (Option<Known>, i64) {
    let known = match value.first() {
        Some(b'a') => Some(Known::Accepted),
        Some(b'r') => Some(Known::Rejected),
        _ => None,
    };
    let at = value
        .get(1..9)
        .and_then(|b| b.try_into().ok())
        .map_or(i64::MIN, i64::from_be_bytes);
    (known, at)
}
