//! The fake's account: profiles, lists, metrics, events, and what tests inspect.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use ulid::Ulid;

use super::model::{Campaign, CustomEvent, Event, EventDetail, List, Metric, Profile, Segment};

/// Everything the fake account holds. Tests reach it through
/// [`FakeKlaviyo::state`](super::FakeKlaviyo::state) to inspect or change it as a Klaviyo user
/// would in the web UI.
#[derive(Debug, Default)]
pub struct FakeState {
    /// Profiles in id order (ULIDs, so also creation order).
    pub(crate) profiles: Vec<Profile>,
    by_id: HashMap<String, u32>,
    by_email: HashMap<String, u32>,
    by_phone: HashMap<String, u32>,
    by_external: HashMap<String, u32>,
    /// Lists in creation order.
    pub(crate) lists: Vec<List>,
    /// Segments in creation order (membership is read-only through the API).
    pub(crate) segments: Vec<Segment>,
    /// Metrics in creation order.
    pub(crate) metrics: Vec<Metric>,
    /// Events in time order; the position is the event's sequence.
    pub(crate) events: Vec<Event>,
    /// Campaigns that campaign events refer to.
    pub(crate) campaigns: Vec<Campaign>,
    /// Properties of events seeded from a file ([`EventDetail::Custom`] indexes them).
    pub(crate) custom_events: Vec<CustomEvent>,
    /// Requests answered, by route name (e.g. `GET /api/profiles`).
    pub(crate) requests: BTreeMap<String, u64>,
    /// 429 answers given.
    pub(crate) throttled: u64,
    /// Subscription jobs accepted but not yet applied.
    pub(crate) pending_jobs: Vec<super::routes::jobs::Job>,
}

/// Which identifier of a new or changed profile another profile already owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate(pub String);

impl FakeState {
    /// Number of profiles.
    pub fn profile_count(&self) -> usize {
        self.profiles.len()
    }

    /// Number of events.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// A profile by id.
    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.profile_index(id).map(|i| &self.profiles[i])
    }

    /// A profile by email (case-insensitive).
    pub fn profile_by_email(&self, email: &str) -> Option<&Profile> {
        let index = self.by_email.get(&email.trim().to_lowercase())?;
        self.profiles.get(*index as usize)
    }

    /// All profiles, in id order.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// The lists.
    pub fn lists(&self) -> &[List] {
        &self.lists
    }

    /// A list by id.
    pub fn list(&self, id: &str) -> Option<&List> {
        self.lists.iter().find(|l| l.id == id)
    }

    /// The member ids of a list, in id order (empty for an unknown list).
    pub fn list_members(&self, list_id: &str) -> Vec<String> {
        self.list(list_id)
            .map(|l| l.members.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The metrics.
    pub fn metrics(&self) -> &[Metric] {
        &self.metrics
    }

    /// Requests answered for a route such as `GET /api/profiles` (429s included).
    pub fn request_count(&self, route: &str) -> u64 {
        self.requests.get(route).copied().unwrap_or(0)
    }

    /// All requests answered, by route.
    pub fn request_counts(&self) -> &BTreeMap<String, u64> {
        &self.requests
    }

    /// Requests answered with 429.
    pub fn throttled_count(&self) -> u64 {
        self.throttled
    }

    /// Number of subscription jobs not yet applied.
    pub fn pending_job_count(&self) -> usize {
        self.pending_jobs.len()
    }

    /// Names of the metrics of a profile's events, in time order (tests).
    pub fn event_names_of(&self, profile_id: &str) -> Vec<String> {
        let Some(index) = self.profile_index(profile_id) else {
            return Vec::new();
        };
        self.events
            .iter()
            .filter(|e| e.profile as usize == index)
            .map(|e| self.metrics[e.metric as usize].name.clone())
            .collect()
    }

    /// Every event as (metric name, list id for list events, epoch seconds), in time order.
    pub fn event_summaries(&self) -> Vec<(String, Option<String>, i64)> {
        self.events
            .iter()
            .map(|e| {
                let list = match self.base_detail(e.detail) {
                    EventDetail::List(l) => Some(self.lists[l as usize].id.clone()),
                    _ => None,
                };
                (
                    self.metrics[e.metric as usize].name.clone(),
                    list,
                    e.timestamp,
                )
            })
            .collect()
    }

    /// The list, campaign or nothing an event is about (seeded events resolved to their base).
    pub(crate) fn base_detail(&self, detail: EventDetail) -> EventDetail {
        match detail {
            EventDetail::Custom(i) => self
                .custom_events
                .get(i as usize)
                .map_or(EventDetail::Plain, |c| c.base),
            other => other,
        }
    }

    pub(crate) fn profile_index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).map(|&i| i as usize)
    }

    pub(crate) fn index_by_email(&self, email: &str) -> Option<usize> {
        self.by_email
            .get(&email.trim().to_lowercase())
            .map(|&i| i as usize)
    }

    pub(crate) fn index_by_phone(&self, phone: &str) -> Option<usize> {
        self.by_phone.get(phone).map(|&i| i as usize)
    }

    pub(crate) fn metric_index(&self, name: &str) -> Option<usize> {
        self.metrics.iter().position(|m| m.name == name)
    }

    pub(crate) fn list_index(&self, id: &str) -> Option<usize> {
        self.lists.iter().position(|l| l.id == id)
    }

    /// The profile (other than `except`) that already owns one of these identifiers.
    pub(crate) fn duplicate_of(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
        external_id: Option<&str>,
        except: Option<usize>,
    ) -> Option<Duplicate> {
        let found = [
            email.and_then(|e| self.index_by_email(e)),
            phone.and_then(|p| self.index_by_phone(p)),
            external_id.and_then(|x| self.by_external.get(x).map(|&i| i as usize)),
        ];
        found
            .into_iter()
            .flatten()
            .find(|&i| Some(i) != except)
            .map(|i| Duplicate(self.profiles[i].id.clone()))
    }

    /// Appends a profile, giving it a fresh id later than every existing one.
    pub(crate) fn insert_profile(&mut self, mut profile: Profile) -> usize {
        let now_ms = profile.created.timestamp_millis().max(0) as u64;
        let mut id = Ulid::from_parts(now_ms, rand::random::<u128>());
        if let Some(last) = self
            .profiles
            .last()
            .and_then(|p| Ulid::from_string(&p.id).ok())
        {
            if id <= last {
                id = last.increment().unwrap_or(last);
            }
        }
        profile.id = id.to_string();
        self.push_profile(profile)
    }

    /// Appends a profile whose id is already set and larger than every existing id (seeding).
    pub(crate) fn push_profile(&mut self, profile: Profile) -> usize {
        let index = self.profiles.len();
        self.by_id.insert(profile.id.clone(), index as u32);
        self.profiles.push(profile);
        self.reindex(index, None);
        index
    }

    /// Refreshes the identifier indexes of a profile after a change; `before` holds its old
    /// (email, phone, external id).
    pub(crate) fn reindex(&mut self, index: usize, before: Option<Identifiers>) {
        if let Some((email, phone, external)) = before {
            email.map(|e| self.by_email.remove(&e.to_lowercase()));
            phone.map(|p| self.by_phone.remove(&p));
            external.map(|x| self.by_external.remove(&x));
        }
        let profile = &self.profiles[index];
        let slot = index as u32;
        if let Some(email) = &profile.email {
            self.by_email.insert(email.to_lowercase(), slot);
        }
        if let Some(phone) = &profile.phone_number {
            self.by_phone.insert(phone.clone(), slot);
        }
        if let Some(external) = &profile.external_id {
            self.by_external.insert(external.clone(), slot);
        }
    }

    /// Records an event at `at` (or just after the latest event, so time order holds).
    pub(crate) fn push_event(
        &mut self,
        profile: usize,
        metric_name: &str,
        detail: EventDetail,
        at: DateTime<Utc>,
    ) {
        let Some(metric) = self.metric_index(metric_name) else {
            return;
        };
        let latest = self.events.last().map_or(i64::MIN, |e| e.timestamp);
        self.events.push(Event {
            timestamp: at.timestamp().max(latest),
            profile: profile as u32,
            metric: metric as u16,
            detail,
        });
    }

    /// Changes a profile as a user would in Klaviyo's web UI: applies `change` and bumps
    /// `updated`. Returns false for an unknown id.
    pub fn ui_update_profile(&mut self, id: &str, change: impl FnOnce(&mut Profile)) -> bool {
        let Some(index) = self.profile_index(id) else {
            return false;
        };
        let profile = &self.profiles[index];
        let before = (
            profile.email.clone(),
            profile.phone_number.clone(),
            profile.external_id.clone(),
        );
        let profile = &mut self.profiles[index];
        change(profile);
        profile.id = id.to_owned();
        profile.updated = Utc::now();
        self.reindex(index, Some(before));
        true
    }

    /// Removes a profile from a list the way a manual removal in the UI does: no event is
    /// recorded and consent stays as it is. Returns whether the profile was a member.
    pub fn ui_remove_from_list(&mut self, list_id: &str, profile_id: &str) -> bool {
        self.list_index(list_id)
            .is_some_and(|l| self.lists[l].members.remove(profile_id).is_some())
    }

    /// Adds a profile to a list silently (UI "add to list" without consent).
    pub fn ui_add_to_list(&mut self, list_id: &str, profile_id: &str) -> bool {
        match (self.list_index(list_id), self.profile_index(profile_id)) {
            (Some(l), Some(_)) => {
                self.lists[l]
                    .members
                    .insert(profile_id.to_owned(), Utc::now());
                true
            }
            _ => false,
        }
    }

    /// Records an event of a metric for a profile now (e.g. `Unsubscribed from Email
    /// Marketing` after a click in Klaviyo's preference page). For list metrics pass the list.
    pub fn ui_record_event(
        &mut self,
        profile_id: &str,
        metric: &str,
        list_id: Option<&str>,
    ) -> bool {
        let Some(profile) = self.profile_index(profile_id) else {
            return false;
        };
        let detail = match list_id.and_then(|l| self.list_index(l)) {
            Some(l) => EventDetail::List(l as u16),
            None => EventDetail::Plain,
        };
        let before = self.events.len();
        self.push_event(profile, metric, detail, Utc::now());
        self.events.len() > before
    }
}

/// (email, phone, external id) of a profile before a change.
pub(crate) type Identifiers = (Option<String>, Option<String>, Option<String>);
