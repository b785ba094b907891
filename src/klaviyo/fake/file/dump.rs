//! The fake's account written as a seed file: every id and time spelled out, so loading the
//! dump gives the same account. Records are converted one at a time while the serializer
//! writes, so a dump of millions of events does not hold a second copy of the account.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::DateTime;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::format::{SeedCampaign, SeedEvent, SeedList, SeedMetric, SeedProfile, Subscriptions};
use super::refs::{Checked, Validated};
use crate::klaviyo::fake::model::{EventDetail, Profile};
use crate::klaviyo::fake::state::FakeState;

/// Serializes as the [`SeedFile`](super::format::SeedFile) of an account.
pub struct StateDump<'a>(pub &'a FakeState);

/// A sequence written from an iterator, once.
struct Lazy<I>(RefCell<Option<I>>);

impl<I> Lazy<I> {
    fn new(items: I) -> Self {
        Self(RefCell::new(Some(items)))
    }
}

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Lazy<I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = self.0.borrow_mut().take();
        serializer.collect_seq(items.into_iter().flatten())
    }
}

impl Serialize for StateDump<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let state = self.0;
        let mut out = serializer.serialize_struct("SeedFile", 5)?;
        out.serialize_field(
            "lists",
            &Lazy::new(state.lists.iter().map(|l| SeedList {
                id: Some(Checked::new(&l.id)),
                name: Checked::new(&l.name),
                opt_in_process: l.opt_in_process,
                created: Some(l.created),
            })),
        )?;
        out.serialize_field(
            "metrics",
            &Lazy::new(state.metrics.iter().map(|m| SeedMetric {
                name: Checked::new(&m.name),
                id: Some(Checked::new(&m.id)),
                integration: Some(m.integration.clone()),
                category: Some(m.category.clone()),
                created: Some(m.created),
            })),
        )?;
        out.serialize_field(
            "campaigns",
            &Lazy::new(state.campaigns.iter().map(|c| SeedCampaign {
                name: Checked::new(&c.name),
                subject: Some(c.subject.clone()),
                message_id: Some(c.message_id.clone()),
            })),
        )?;
        let mut memberships: HashMap<&str, Vec<Checked<_>>> = HashMap::new();
        for list in &state.lists {
            for member in list.members.keys() {
                let of = memberships.entry(member.as_str()).or_default();
                of.push(Checked::new(&list.id));
            }
        }
        let profiles = state.profiles.iter().map(|p| {
            let lists = memberships.remove(p.id.as_str()).unwrap_or_default();
            Validated(profile(p, lists))
        });
        out.serialize_field("profiles", &Lazy::new(profiles))?;
        out.serialize_field("events", &Lazy::new(events(state)))?;
        out.end()
    }
}

fn profile(p: &Profile, lists: Vec<Checked<super::refs::ListRef>>) -> SeedProfile {
    SeedProfile {
        id: Some(Checked::new(&p.id)),
        email: p.email.as_deref().map(Checked::new),
        phone_number: p.phone_number.as_deref().map(Checked::new),
        external_id: p.external_id.as_deref().map(Checked::new),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        organization: p.organization.clone(),
        title: p.title.clone(),
        locale: p.locale.clone(),
        created: Some(p.created),
        updated: Some(p.updated),
        location: match &p.location {
            Value::Object(map) => Some(map.clone()),
            _ => None,
        },
        properties: p.properties.clone(),
        subscriptions: Subscriptions {
            email: Validated(p.email_marketing.clone()),
            sms: Validated(p.sms_marketing.clone()),
        },
        lists,
    }
}

fn events(state: &FakeState) -> impl Iterator<Item = Validated<SeedEvent>> + '_ {
    state.events.iter().map(move |e| {
        let profile = &state.profiles[e.profile as usize];
        let (base, properties) = match e.detail {
            EventDetail::Custom(i) => state
                .custom_events
                .get(i as usize)
                .map_or((EventDetail::Plain, Map::new()), |c| {
                    (c.base, c.properties.clone())
                }),
            other => (other, Map::new()),
        };
        let (list, campaign) = match base {
            EventDetail::List(l) => (Some(&state.lists[l as usize].id), None),
            EventDetail::Campaign(c) => (None, Some(&state.campaigns[c as usize].name)),
            EventDetail::Plain | EventDetail::Custom(_) => (None, None),
        };
        Validated(SeedEvent {
            metric: Checked::new(&state.metrics[e.metric as usize].name),
            // The email reads better in a file a person edits; the id when there is none.
            profile: Checked::new(profile.email.as_deref().unwrap_or(&profile.id)),
            datetime: DateTime::from_timestamp(e.timestamp, 0).unwrap_or_default(),
            list: list.map(Checked::new),
            campaign: campaign.map(Checked::new),
            properties,
        })
    })
}
