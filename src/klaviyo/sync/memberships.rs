//! The membership phase: who is in the Klaviyo lists and segments named under
//! `klaviyo.memberships`, kept on each customer as the properties `klaviyo_lists` and
//! `klaviyo_segments` (sorted ids) that the `klaviyo_list` / `klaviyo_segment` predicates read.
//!
//! - Initial load and every reconciliation: all members are read; members the sync recorded
//!   that Klaviyo no longer lists (a manual removal, a segment that stopped matching) leave.
//! - Incremental (with the events, between reconciliations): only members that joined at or
//!   after the previous run started (`joined_group_at`, with an overlap for clock skew), since
//!   Klaviyo reports no removals there.
//!
//! State: tree `klaviyo/memberships`, key `kind \x1f group \x1f profile` (value: when the
//! member was seen), and its mirror `klaviyo/membership_of`, key `profile \x1f kind \x1f group`,
//! from which a customer's property is rebuilt.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::prefetch::prefetch;
use super::{SinkError, SyncError, SyncedCustomer, Syncer};
use crate::klaviyo::client::ProfileAttributes;
use crate::project::Memberships;
use crate::scenario::compiled::KlaviyoGroup;

/// Customer property holding the ids of the synced Klaviyo lists the customer is on.
pub const LISTS_PROPERTY: &str = KlaviyoGroup::List.property();
/// Customer property holding the ids of the synced Klaviyo segments the customer is in.
pub const SEGMENTS_PROPERTY: &str = KlaviyoGroup::Segment.property();

/// How far an incremental read reaches back before the previous run's start.
const OVERLAP: Duration = Duration::minutes(10);
const SEP: char = '\x1f';

/// A list or a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Segment,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::List => "list",
            Kind::Segment => "segment",
        }
    }

    fn path(self, id: &str) -> String {
        match self {
            Kind::List => format!("/api/lists/{id}/profiles/"),
            Kind::Segment => format!("/api/segments/{id}/profiles/"),
        }
    }

    fn property(self) -> &'static str {
        match self {
            Kind::List => LISTS_PROPERTY,
            Kind::Segment => SEGMENTS_PROPERTY,
        }
    }
}

fn store(e: sled::Error) -> SinkError {
    SinkError::Store(e.to_string())
}

/// The two trees of membership state.
struct Trees {
    groups: sled::Tree,
    of_profile: sled::Tree,
}

impl Trees {
    fn join(&self, kind: Kind, group: &str, profile: &str) -> Result<bool, SinkError> {
        let key = format!("{}{SEP}{group}{SEP}{profile}", kind.key());
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let fresh = self
            .groups
            .insert(key.as_bytes(), now.as_bytes())
            .map_err(store)?
            .is_none();
        let mirror = format!("{profile}{SEP}{}{SEP}{group}", kind.key());
        self.of_profile
            .insert(mirror.as_bytes(), &[])
            .map_err(store)?;
        Ok(fresh)
    }

    fn leave(&self, kind: Kind, group: &str, profile: &str) -> Result<(), SinkError> {
        let key = format!("{}{SEP}{group}{SEP}{profile}", kind.key());
        self.groups.remove(key.as_bytes()).map_err(store)?;
        let mirror = format!("{profile}{SEP}{}{SEP}{group}", kind.key());
        self.of_profile.remove(mirror.as_bytes()).map_err(store)?;
        Ok(())
    }

    /// Profiles recorded as members of a group.
    fn members(&self, kind: Kind, group: &str) -> Result<Vec<String>, SinkError> {
        let prefix = format!("{}{SEP}{group}{SEP}", kind.key());
        let mut members = Vec::new();
        for entry in self.groups.scan_prefix(prefix.as_bytes()) {
            let (key, _) = entry.map_err(store)?;
            members.push(String::from_utf8_lossy(&key[prefix.len()..]).into_owned());
        }
        Ok(members)
    }

    /// The groups of a kind a profile is recorded in, sorted.
    fn groups_of(&self, profile: &str, kind: Kind) -> Result<Vec<String>, SinkError> {
        let prefix = format!("{profile}{SEP}{}{SEP}", kind.key());
        let mut groups = Vec::new();
        for entry in self.of_profile.scan_prefix(prefix.as_bytes()) {
            let (key, _) = entry.map_err(store)?;
            groups.push(String::from_utf8_lossy(&key[prefix.len()..]).into_owned());
        }
        Ok(groups)
    }
}

impl Syncer<'_> {
    pub(super) async fn sync_memberships(
        &mut self,
        memberships: &Memberships,
        full: bool,
    ) -> Result<(), SyncError> {
        let trees = Trees {
            groups: self.sink.tree("klaviyo/memberships")?,
            of_profile: self.sink.tree("klaviyo/membership_of")?,
        };
        let groups = memberships
            .lists
            .iter()
            .map(|id| (Kind::List, id))
            .chain(memberships.segments.iter().map(|id| (Kind::Segment, id)));
        for (kind, id) in groups {
            self.sync_group(&trees, kind, id, full).await?;
        }
        Ok(())
    }

    async fn sync_group(
        &mut self,
        trees: &Trees,
        kind: Kind,
        group: &str,
        full: bool,
    ) -> Result<(), SyncError> {
        let cursor = format!("memberships.{}.{group}", kind.key());
        let since = match full {
            true => None,
            false => self.state.cursor(&cursor)?,
        };
        let full = since.is_none();
        let first = self.client.url(&kind.path(group), &query(since))?;
        let mut pages =
            prefetch::<ProfileAttributes>(&self.tracker, &self.stop, &self.client, first);
        // Profile id → email (when Klaviyo gave one) of every member whose record changed.
        let mut changed: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut listed = HashSet::new();
        while let Some(page) = pages.recv().await {
            for member in page?.data {
                if trees.join(kind, group, &member.id)? {
                    let email = member.attributes.and_then(|a| a.email);
                    changed.insert(member.id.clone(), email);
                }
                listed.insert(member.id);
            }
            self.tick("memberships")?;
        }
        if full {
            for profile in trees.members(kind, group)? {
                if !listed.contains(&profile) {
                    trees.leave(kind, group, &profile)?;
                    changed.insert(profile, None);
                }
            }
        }
        for (profile, email) in changed {
            self.write_groups(trees, kind, &profile, email)?;
        }
        self.state.set_cursor(&cursor, self.started)?;
        Ok(())
    }

    /// Writes the customer's property of `kind` from the recorded memberships (removed when
    /// the customer is in none).
    fn write_groups(
        &mut self,
        trees: &Trees,
        kind: Kind,
        profile: &str,
        email: Option<String>,
    ) -> Result<(), SyncError> {
        let groups = trees.groups_of(profile, kind)?;
        let value = match groups.is_empty() {
            true => Value::Null,
            false => Value::from(groups),
        };
        let mut properties = Map::new();
        properties.insert(kind.property().to_owned(), value);
        let customer = SyncedCustomer {
            klaviyo_id: profile.to_owned(),
            email,
            properties,
        };
        match self.sink.upsert_customer(&customer) {
            Ok((handle, _)) => {
                self.handles.insert(profile.to_owned(), handle);
                self.report.membership_changes += 1;
                Ok(())
            }
            Err(SinkError::Rejected(reason)) => {
                self.report.skip(format!("profile {profile}: {reason}"));
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }
}

fn query(since: Option<DateTime<Utc>>) -> Vec<(&'static str, String)> {
    let mut query = vec![
        ("page[size]", "100".to_owned()),
        ("fields[profile]", "email".to_owned()),
    ];
    if let Some(since) = since {
        let from = (since - OVERLAP).to_rfc3339_opts(SecondsFormat::Secs, true);
        query.push((
            "filter",
            format!("greater-or-equal(joined_group_at,{from})"),
        ));
    }
    query
}
