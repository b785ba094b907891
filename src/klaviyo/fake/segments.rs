//! Segments of the fake account: Klaviyo computes their membership, the API only reads it
//! (`GET /api/segments/{id}/profiles`), and tests change it as Klaviyo's engine would.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::model::{Consent, Segment};
use super::state::FakeState;

/// Id of the generated "Engaged (90 Days)" segment.
pub const ENGAGED_90_SEGMENT: &str = "Eng90D";

/// The generated "Engaged (90 Days)" segment: profiles subscribed to email marketing that
/// opened or clicked an e-mail within 90 days of `now` (Klaviyo's recommended definition),
/// each joined at its latest such event.
pub(super) fn engaged_90(state: &FakeState, now: DateTime<Utc>) -> Segment {
    let since = (now - Duration::days(90)).timestamp();
    let engaging: Vec<u16> = ["Opened Email", "Clicked Email"]
        .iter()
        .filter_map(|name| state.metric_index(name).map(|i| i as u16))
        .collect();
    let mut members = BTreeMap::new();
    for event in &state.events {
        if event.timestamp < since || !engaging.contains(&event.metric) {
            continue;
        }
        let profile = &state.profiles[event.profile as usize];
        if profile.email_marketing.consent != Consent::Subscribed {
            continue;
        }
        if let Some(at) = DateTime::from_timestamp(event.timestamp, 0) {
            members.insert(profile.id.clone(), at);
        }
    }
    Segment {
        id: ENGAGED_90_SEGMENT.to_owned(),
        name: "Engaged (90 Days)".to_owned(),
        members,
    }
}

impl FakeState {
    /// The segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// A segment by id.
    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.id == id)
    }

    /// The member ids of a segment, in id order (empty for an unknown segment).
    pub fn segment_members(&self, segment_id: &str) -> Vec<String> {
        self.segment(segment_id)
            .map(|s| s.members.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Creates an empty segment (as a user defining one in the UI); false if the id exists.
    pub fn ui_create_segment(&mut self, id: &str, name: &str) -> bool {
        if self.segment(id).is_some() {
            return false;
        }
        self.segments.push(Segment {
            id: id.to_owned(),
            name: name.to_owned(),
            members: BTreeMap::new(),
        });
        true
    }

    /// A profile enters a segment now (its definition started to match). False for an
    /// unknown segment or profile.
    pub fn ui_enter_segment(&mut self, segment_id: &str, profile_id: &str) -> bool {
        if self.profile_index(profile_id).is_none() {
            return false;
        }
        match self.segments.iter_mut().find(|s| s.id == segment_id) {
            Some(segment) => {
                segment.members.insert(profile_id.to_owned(), Utc::now());
                true
            }
            None => false,
        }
    }

    /// A profile leaves a segment (its definition stopped matching). Returns whether it was
    /// a member.
    pub fn ui_leave_segment(&mut self, segment_id: &str, profile_id: &str) -> bool {
        self.segments
            .iter_mut()
            .find(|s| s.id == segment_id)
            .is_some_and(|s| s.members.remove(profile_id).is_some())
    }
}
