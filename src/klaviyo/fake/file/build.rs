//! From a seed file to the fake's account. What the file leaves out is decided
//! deterministically, so loading the same file twice gives the same account:
//! - ids come from a SHA-256 of what identifies the record (a list's or metric's name, a
//!   profile's first identifier), in Klaviyo's shapes (6-character base62, ULIDs whose time
//!   part is the profile's `created`, so id order stays creation order);
//! - times default to the earliest time the file gives for the record, else the earliest time
//!   in the whole file;
//! - Klaviyo's built-in metrics are always there.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;
use ulid::Ulid;

use super::derive::{hash_u128, origin, own_times, short_id_for, ulid_at};
use super::format::{SeedEvent, SeedFile, SeedProfile};
use super::refs::Validated;
use crate::klaviyo::fake::model::{
    Campaign, ChannelConsent, Consent, CustomEvent, Event, EventDetail, List, Metric, Profile,
};
use crate::klaviyo::fake::seed::METRICS;
use crate::klaviyo::fake::state::FakeState;

/// Lookups by the names a file uses.
struct Names {
    lists: HashMap<String, u16>,
    list_ids: Vec<String>,
    metrics: HashMap<String, u16>,
    campaigns: HashMap<String, u16>,
}

impl Names {
    fn list(&self, text: &str) -> Result<u16, String> {
        self.lists
            .get(text)
            .copied()
            .ok_or_else(|| format!("unknown list `{text}`"))
    }
}

fn index16(count: usize, what: &str) -> Result<(), String> {
    if count > usize::from(u16::MAX) + 1 {
        return Err(format!("more than 65,536 {what} are not supported"));
    }
    Ok(())
}

/// Builds the account; the error (a reference that does not resolve, too many lists) is
/// rare here, as the reader checked the file first.
pub fn build(file: SeedFile) -> Result<FakeState, String> {
    let origin = origin(&file);
    let mut state = FakeState::default();
    index16(file.lists.len(), "lists")?;
    index16(file.campaigns.len(), "campaigns")?;
    let mut taken: HashSet<String> = file
        .lists
        .iter()
        .filter_map(|l| l.id.as_ref().map(|id| id.0.clone()))
        .collect();
    let mut names = Names {
        lists: HashMap::new(),
        list_ids: Vec::new(),
        metrics: HashMap::new(),
        campaigns: HashMap::new(),
    };
    for (i, l) in file.lists.iter().enumerate() {
        let id = match &l.id {
            Some(id) => id.0.clone(),
            None => short_id_for("list", &l.name.0, &mut taken),
        };
        names.lists.entry(l.name.0.clone()).or_insert(i as u16);
        let created = l.created.unwrap_or(origin);
        state.lists.push(List {
            id,
            name: l.name.0.clone(),
            created,
            updated: created,
            opt_in_process: l.opt_in_process,
            members: Default::default(),
        });
    }
    // Ids win over names when a list's name is another list's id.
    for (i, l) in state.lists.iter().enumerate() {
        names.lists.insert(l.id.clone(), i as u16);
        names.list_ids.push(l.id.clone());
    }
    build_metrics(&file, origin, &mut state, &mut names)?;
    for (i, c) in file.campaigns.iter().enumerate() {
        names.campaigns.insert(c.name.0.clone(), i as u16);
        let message = match &c.message_id {
            Some(id) => id.clone(),
            None => ulid_at(origin, hash_u128(&["campaign", &c.name.0])).to_string(),
        };
        state.campaigns.push(Campaign {
            name: c.name.0.clone(),
            subject: c.subject.clone().unwrap_or_else(|| c.name.0.clone()),
            message_id: message,
        });
    }
    // Profiles and events move into the account one by one: a large file is not held twice.
    build_profiles(file.profiles, &file.events, origin, &names, &mut state)?;
    build_events(file.events, &names, &mut state)?;
    Ok(state)
}

fn build_metrics(
    file: &SeedFile,
    origin: DateTime<Utc>,
    state: &mut FakeState,
    names: &mut Names,
) -> Result<(), String> {
    let mut metrics: Vec<(Option<String>, Metric)> = METRICS
        .iter()
        .map(|&(name, integration, category)| {
            let metric = Metric {
                id: String::new(),
                name: name.to_owned(),
                created: origin,
                integration: integration.to_owned(),
                category: category.to_owned(),
            };
            (None, metric)
        })
        .collect();
    for m in &file.metrics {
        let slot = match metrics
            .iter()
            .position(|(_, metric)| metric.name == m.name.0)
        {
            Some(i) => i,
            None => {
                let metric = Metric {
                    id: String::new(),
                    name: m.name.0.clone(),
                    created: origin,
                    integration: "API".into(),
                    category: "API".into(),
                };
                metrics.push((None, metric));
                metrics.len() - 1
            }
        };
        let (id, metric) = &mut metrics[slot];
        *id = m.id.as_ref().map(|id| id.0.clone());
        metric.created = m.created.unwrap_or(metric.created);
        if let Some(integration) = &m.integration {
            metric.integration.clone_from(integration);
        }
        if let Some(category) = &m.category {
            metric.category.clone_from(category);
        }
    }
    index16(metrics.len(), "metrics")?;
    let mut taken: HashSet<String> = metrics.iter().filter_map(|(id, _)| id.clone()).collect();
    for (i, (id, mut metric)) in metrics.into_iter().enumerate() {
        metric.id = id.unwrap_or_else(|| short_id_for("metric", &metric.name, &mut taken));
        names.metrics.insert(metric.name.clone(), i as u16);
        state.metrics.push(metric);
    }
    Ok(())
}

/// Adds the profiles in id order, and their list memberships.
fn build_profiles(
    profiles: Vec<Validated<SeedProfile>>,
    events: &[Validated<SeedEvent>],
    origin: DateTime<Utc>,
    names: &Names,
    state: &mut FakeState,
) -> Result<(), String> {
    let mut earliest: Vec<Option<DateTime<Utc>>> = vec![None; profiles.len()];
    let keys = profile_keys(&profiles);
    for e in events {
        let i = resolve_profile(&keys, &e.profile.0)?;
        earliest[i] = Some(earliest[i].map_or(e.datetime, |t| t.min(e.datetime)));
    }
    drop(keys);
    let mut taken = HashSet::new();
    let mut entries = Vec::with_capacity(profiles.len());
    for (Validated(p), earliest) in profiles.into_iter().zip(earliest) {
        let created = p
            .created
            .or_else(|| own_times(&p).chain(earliest).min())
            .unwrap_or(origin);
        let id = match &p.id {
            Some(id) => Ulid::from_string(&id.0).map_err(|_| format!("bad id `{}`", id.0))?,
            None => {
                let email = p.email.as_ref().map(|e| e.as_str().trim().to_lowercase());
                let phone = || p.phone_number.as_ref().map(|x| x.0.clone());
                let external = || p.external_id.as_ref().map(|x| x.0.clone());
                let key = email.or_else(phone).or_else(external).unwrap_or_default();
                let mut id = ulid_at(created, hash_u128(&["profile", &key]));
                while taken.contains(&id) {
                    id = id.increment().unwrap_or(id);
                }
                id
            }
        };
        if !taken.insert(id) {
            return Err(format!("profile id `{id}` is used twice"));
        }
        entries.push((id, created, p));
    }
    entries.sort_by_key(|(id, _, _)| *id);
    for (id, created, mut p) in entries {
        let lists = std::mem::take(&mut p.lists);
        let profile = profile(p, id.to_string(), created, names)?;
        let joined = profile.email_marketing.consent_timestamp.unwrap_or(created);
        let index = state.push_profile(profile);
        for list in &lists {
            let l = names.list(&list.0)?;
            let id = state.profiles[index].id.clone();
            state.lists[l as usize].members.insert(id, joined);
        }
    }
    Ok(())
}

/// Profile ids and lower-cased emails → position in the file.
fn profile_keys(profiles: &[Validated<SeedProfile>]) -> HashMap<String, usize> {
    let mut keys = HashMap::with_capacity(profiles.len());
    for (i, p) in profiles.iter().enumerate() {
        if let Some(email) = &p.email {
            keys.insert(email.0.trim().to_lowercase(), i);
        }
        if let Some(id) = &p.id {
            keys.insert(id.0.clone(), i);
        }
    }
    keys
}

fn resolve_profile(keys: &HashMap<String, usize>, text: &str) -> Result<usize, String> {
    keys.get(text)
        .or_else(|| keys.get(&text.trim().to_lowercase()))
        .copied()
        .ok_or_else(|| format!("no profile has the email or id `{text}`"))
}

fn profile(
    p: SeedProfile,
    id: String,
    created: DateTime<Utc>,
    names: &Names,
) -> Result<Profile, String> {
    let updated = p
        .updated
        .unwrap_or_else(|| own_times(&p).fold(created, DateTime::max));
    let mut profile = Profile::new(id, created);
    profile.updated = updated;
    profile.email = p.email.map(|e| e.0.trim().to_owned());
    profile.phone_number = p.phone_number.map(|x| x.0);
    profile.external_id = p.external_id.map(|x| x.0);
    profile.first_name = p.first_name;
    profile.last_name = p.last_name;
    profile.organization = p.organization;
    profile.title = p.title;
    profile.locale = p.locale;
    profile.location = p.location.map_or(Value::Null, Value::Object);
    profile.properties = p.properties;
    profile.email_marketing = channel(p.subscriptions.email.0, created, names)?;
    profile.sms_marketing = channel(p.subscriptions.sms.0, created, names)?;
    Ok(profile)
}

/// A channel's consent with list names resolved to ids and the times Klaviyo always has.
fn channel(
    mut channel: ChannelConsent,
    created: DateTime<Utc>,
    names: &Names,
) -> Result<ChannelConsent, String> {
    if channel.consent == Consent::Subscribed && channel.consent_timestamp.is_none() {
        channel.consent_timestamp = Some(created);
    }
    if channel.consent != Consent::NeverSubscribed && channel.last_updated.is_none() {
        channel.last_updated = Some(channel.consent_timestamp.unwrap_or(created));
    }
    for suppression in &mut channel.list_suppressions {
        if let Some(list) = &suppression.list_id {
            let l = names.list(list)?;
            suppression.list_id = Some(names.list_ids[l as usize].clone());
        }
    }
    Ok(channel)
}

fn build_events(
    events: Vec<Validated<SeedEvent>>,
    names: &Names,
    state: &mut FakeState,
) -> Result<(), String> {
    let mut out = Vec::with_capacity(events.len());
    for Validated(e) in events {
        let text = &e.profile.0;
        let profile = state
            .profile_index(text)
            .or_else(|| state.index_by_email(text))
            .ok_or_else(|| format!("no profile has the email or id `{text}`"))?;
        let metric = *names
            .metrics
            .get(&e.metric.0)
            .ok_or_else(|| format!("unknown metric `{}`", e.metric.0))?;
        let base = match (&e.list, &e.campaign) {
            (Some(list), _) => EventDetail::List(names.list(&list.0)?),
            (None, Some(campaign)) => EventDetail::Campaign(
                *names
                    .campaigns
                    .get(&campaign.0)
                    .ok_or_else(|| format!("unknown campaign `{}`", campaign.0))?,
            ),
            (None, None) => EventDetail::Plain,
        };
        let detail = if e.properties.is_empty() {
            base
        } else {
            let index = u32::try_from(state.custom_events.len())
                .map_err(|_| "too many events with properties".to_owned())?;
            state.custom_events.push(CustomEvent {
                base,
                properties: e.properties,
            });
            EventDetail::Custom(index)
        };
        out.push(Event {
            timestamp: e.datetime.timestamp(),
            profile: profile as u32,
            metric,
            detail,
        });
    }
    // Stable: events of one second keep the file's order.
    out.sort_by_key(|e| e.timestamp);
    state.events = out;
    Ok(())
}
