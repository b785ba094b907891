//! `GET /api/segments/{id}/profiles`: a segment's member profiles with `joined_group_at`.

use std::ops::Bound;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::klaviyo::fake::errors::ApiError;
use crate::klaviyo::fake::filter::{self, Allowed, Condition, Kind, Op};
use crate::klaviyo::fake::model::Profile;
use crate::klaviyo::fake::pagination::{links, Query};
use crate::klaviyo::fake::render;
use crate::klaviyo::fake::server::{document, App};

const RANGE: &[Op] = &[
    Op::GreaterThan,
    Op::GreaterOrEqual,
    Op::LessThan,
    Op::LessOrEqual,
];
/// The list members' filters plus `profile_id` (klaviyo-api.md §3).
const SEGMENT_MEMBER_FILTERS: &[Allowed] = &[
    ("email", Kind::Text, &[Op::Any, Op::Equals]),
    ("phone_number", Kind::Text, &[Op::Any, Op::Equals]),
    ("push_token", Kind::Text, &[Op::Any, Op::Equals]),
    ("profile_id", Kind::Text, &[Op::Any, Op::Equals]),
    ("joined_group_at", Kind::Time, RANGE),
];

fn member_matches(p: &Profile, joined: DateTime<Utc>, c: &Condition) -> bool {
    match c.field.as_str() {
        "email" => c.matches_text(p.email.as_deref()),
        "phone_number" => c.matches_text(p.phone_number.as_deref()),
        "profile_id" => c.matches_text(Some(&p.id)),
        "push_token" => false,
        _ => c.matches_time(joined),
    }
}

/// GET /api/segments/{id}/profiles (at most 100 per page, in profile id order).
pub async fn profiles(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let size = query.page_size(20, 100)?;
    query.check_sort(&["joined_group_at"])?;
    let conditions = match query.get("filter") {
        Some(text) => filter::parse(text, SEGMENT_MEMBER_FILTERS)?,
        None => Vec::new(),
    };
    let after = query.cursor()?;
    let subscriptions = query.wants_additional("profile", "subscriptions");
    let fields = query.list("fields[profile]");
    let state = app.state();
    let segment = state
        .segment(&id)
        .ok_or_else(|| ApiError::not_found(format!("A segment with id {id} does not exist.")))?;
    let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
    let mut hits = segment
        .members
        .range((lower, Bound::Unbounded))
        .filter_map(|(pid, joined)| state.profile_index(pid).map(|i| (i, *joined)))
        .filter(|(i, joined)| {
            conditions
                .iter()
                .all(|c| member_matches(&state.profiles[*i], *joined, c))
        });
    let page: Vec<(usize, DateTime<Utc>)> = hits.by_ref().take(size).collect();
    let more = page.len() == size && hits.next().is_some();
    let next = more
        .then(|| page.last().map(|(i, _)| state.profiles[*i].id.clone()))
        .flatten();
    let data: Vec<Value> = page
        .iter()
        .map(|(i, joined)| {
            let mut doc = render::profile(app.base(), &state.profiles[*i], subscriptions, None);
            if let Some(attributes) = doc["attributes"].as_object_mut() {
                attributes.insert("joined_group_at".into(), render::time(*joined).into());
                render::sparse(attributes, fields.as_deref());
            }
            doc
        })
        .collect();
    let path = format!("/api/segments/{id}/profiles/");
    let links = links(app.base(), &path, &query, next.as_deref());
    Ok(document(
        StatusCode::OK,
        json!({"data": data, "links": links}),
    ))
}
