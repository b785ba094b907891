//! Pages of a group's members (a list's or a segment's), with `joined_group_at`: the paging,
//! filtering and rendering both `…/{id}/profiles` routes share.

use std::collections::BTreeMap;
use std::ops::Bound;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::klaviyo::fake::errors::ApiError;
use crate::klaviyo::fake::filter::{self, Allowed, Condition, Kind, Op};
use crate::klaviyo::fake::model::Profile;
use crate::klaviyo::fake::pagination::Query;
use crate::klaviyo::fake::render;
use crate::klaviyo::fake::state::FakeState;

const RANGE: &[Op] = &[
    Op::GreaterThan,
    Op::GreaterOrEqual,
    Op::LessThan,
    Op::LessOrEqual,
];

/// The filters of a list's members (klaviyo-api.md §3).
pub const LIST_MEMBER_FILTERS: &[Allowed] = &[
    ("email", Kind::Text, &[Op::Any, Op::Equals]),
    ("phone_number", Kind::Text, &[Op::Any, Op::Equals]),
    ("push_token", Kind::Text, &[Op::Any, Op::Equals]),
    ("joined_group_at", Kind::Time, RANGE),
];

/// The list members' filters plus `profile_id` (klaviyo-api.md §3).
pub const SEGMENT_MEMBER_FILTERS: &[Allowed] = &[
    ("email", Kind::Text, &[Op::Any, Op::Equals]),
    ("phone_number", Kind::Text, &[Op::Any, Op::Equals]),
    ("push_token", Kind::Text, &[Op::Any, Op::Equals]),
    ("profile_id", Kind::Text, &[Op::Any, Op::Equals]),
    ("joined_group_at", Kind::Time, RANGE),
];

/// Members of a page as (profile index, joined) and the id the next page starts after.
pub type MemberPage = (Vec<(usize, DateTime<Utc>)>, Option<String>);

fn member_matches(p: &Profile, joined: DateTime<Utc>, c: &Condition) -> bool {
    match c.field.as_str() {
        "email" => c.matches_text(p.email.as_deref()),
        "phone_number" => c.matches_text(p.phone_number.as_deref()),
        "profile_id" => c.matches_text(Some(&p.id)),
        "push_token" => false,
        _ => c.matches_time(joined),
    }
}

/// Checks a members query (page size, sort, filter, cursor) before the group is looked up,
/// so a malformed query is refused whether the group exists or not.
pub struct MembersQuery {
    size: usize,
    conditions: Vec<Condition>,
    after: Option<String>,
}

impl MembersQuery {
    /// The query's page size, filter (among `allowed`) and cursor.
    pub fn parse(query: &Query, allowed: &[Allowed]) -> Result<Self, ApiError> {
        let size = query.page_size(20, 100)?;
        query.check_sort(&["joined_group_at"])?;
        let conditions = match query.get("filter") {
            Some(text) => filter::parse(text, allowed)?,
            None => Vec::new(),
        };
        let after = query.cursor()?;
        Ok(Self {
            size,
            conditions,
            after,
        })
    }

    /// One page of `members` (profile id → joined), in profile id order.
    pub fn page(&self, state: &FakeState, members: &BTreeMap<String, DateTime<Utc>>) -> MemberPage {
        let lower = match &self.after {
            Some(after) => Bound::Excluded(after.clone()),
            None => Bound::Unbounded,
        };
        let mut hits = members
            .range((lower, Bound::Unbounded))
            .filter_map(|(pid, joined)| state.profile_index(pid).map(|i| (i, *joined)))
            .filter(|(i, joined)| {
                self.conditions
                    .iter()
                    .all(|c| member_matches(&state.profiles[*i], *joined, c))
            });
        let page: Vec<(usize, DateTime<Utc>)> = hits.by_ref().take(self.size).collect();
        let more = page.len() == self.size && hits.next().is_some();
        let next = more
            .then(|| page.last().map(|(i, _)| state.profiles[*i].id.clone()))
            .flatten();
        (page, next)
    }
}

/// The profile documents of a page, each with its `joined_group_at`, sparse per
/// `fields[profile]` and with subscriptions when `additional-fields` asks for them.
pub fn documents(
    base: &str,
    state: &FakeState,
    page: &[(usize, DateTime<Utc>)],
    query: &Query,
) -> Vec<Value> {
    let subscriptions = query.wants_additional("profile", "subscriptions");
    let fields = query.list("fields[profile]");
    page.iter()
        .map(|(i, joined)| {
            let mut doc = render::profile(base, &state.profiles[*i], subscriptions, None);
            if let Some(attributes) = doc["attributes"].as_object_mut() {
                attributes.insert("joined_group_at".into(), render::time(*joined).into());
                render::sparse(attributes, fields.as_deref());
            }
            doc
        })
        .collect()
}
