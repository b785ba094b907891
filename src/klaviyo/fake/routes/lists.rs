//! `/api/lists`, a list, its members and membership changes.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{json, Value};

use super::body;
use super::members::{self, MemberPage, MembersQuery, LIST_MEMBER_FILTERS};
use crate::klaviyo::fake::errors::ApiError;
use crate::klaviyo::fake::filter::{self, Allowed, Condition, Kind, Op};
use crate::klaviyo::fake::model::List;
use crate::klaviyo::fake::pagination::{links, Query};
use crate::klaviyo::fake::render;
use crate::klaviyo::fake::server::{document, App};

/// Most profiles one membership call may carry.
pub const MAX_MEMBERSHIP_CHANGE: usize = 1000;

const LIST_FILTERS: &[Allowed] = &[
    ("name", Kind::Text, &[Op::Any, Op::Equals]),
    ("id", Kind::Text, &[Op::Any, Op::Equals]),
    ("created", Kind::Time, &[Op::GreaterThan]),
    ("updated", Kind::Time, &[Op::GreaterThan]),
];

fn list_matches(l: &List, c: &Condition) -> bool {
    match c.field.as_str() {
        "name" => c.matches_text(Some(&l.name)),
        "id" => c.matches_text(Some(&l.id)),
        "created" => c.matches_time(l.created),
        _ => c.matches_time(l.updated),
    }
}

/// 404 for a list id of the path: the error names the path parameter, so a client can tell
/// it from an unknown profile of the body (which points at `/data/N/id`).
fn unknown_list(id: &str) -> ApiError {
    ApiError::not_found(format!("A list with id {id} does not exist.")).with_source(
        crate::klaviyo::fake::errors::ErrorSource::Parameter("id".to_owned()),
    )
}

/// GET /api/lists (at most 10 per page).
pub async fn all(State(app): State<App>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let size = query.page_size(10, 10)?;
    query.check_sort(&["id", "-id"])?;
    let conditions = match query.get("filter") {
        Some(text) => filter::parse(text, LIST_FILTERS)?,
        None => Vec::new(),
    };
    let after = query.cursor()?;
    let fields = query.list("fields[list]");
    let state = app.state();
    let mut sorted: Vec<&List> = state.lists.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    if query.get("sort") == Some("-id") {
        sorted.reverse();
    }
    let start = after
        .and_then(|id| sorted.iter().position(|l| l.id == id).map(|i| i + 1))
        .unwrap_or(0);
    let mut hits = sorted[start..]
        .iter()
        .filter(|l| conditions.iter().all(|c| list_matches(l, c)));
    let page: Vec<&&List> = hits.by_ref().take(size).collect();
    let more = page.len() == size && hits.next().is_some();
    let data: Vec<Value> = page
        .iter()
        .map(|l| render::list(app.base(), l, false, fields.as_deref()))
        .collect();
    let next = more.then(|| page.last().map(|l| l.id.as_str())).flatten();
    let links = links(app.base(), "/api/lists/", &query, next);
    Ok(document(
        StatusCode::OK,
        json!({"data": data, "links": links}),
    ))
}

/// GET /api/lists/{id} (with `additional-fields[list]=profile_count`).
pub async fn one(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let state = app.state();
    let list = state.list(&id).ok_or_else(|| unknown_list(&id))?;
    let count = query.wants_additional("list", "profile_count");
    let fields = query.list("fields[list]");
    let data = render::list(app.base(), list, count, fields.as_deref());
    Ok(document(StatusCode::OK, json!({"data": data})))
}

/// One page of a list's members: (profile index, joined) pairs and the next cursor id.
fn member_page(app: &App, id: &str, query: &Query) -> Result<MemberPage, ApiError> {
    let wanted = MembersQuery::parse(query, LIST_MEMBER_FILTERS)?;
    let state = app.state();
    let list = state.list(id).ok_or_else(|| unknown_list(id))?;
    Ok(wanted.page(&state, &list.members))
}

/// GET /api/lists/{id}/profiles: member profiles with `joined_group_at`.
pub async fn profiles(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let (page, next) = member_page(&app, &id, &query)?;
    let state = app.state();
    let data = members::documents(app.base(), &state, &page, &query);
    let links = links(
        app.base(),
        &format!("/api/lists/{id}/profiles/"),
        &query,
        next.as_deref(),
    );
    Ok(document(
        StatusCode::OK,
        json!({"data": data, "links": links}),
    ))
}

/// GET /api/lists/{id}/relationships/profiles: member ids only.
pub async fn member_ids(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let (page, next) = member_page(&app, &id, &query)?;
    let state = app.state();
    let data: Vec<Value> = page
        .iter()
        .map(|(i, _)| json!({"type": "profile", "id": state.profiles[*i].id}))
        .collect();
    let path = format!("/api/lists/{id}/relationships/profiles/");
    let links = links(app.base(), &path, &query, next.as_deref());
    Ok(document(
        StatusCode::OK,
        json!({"data": data, "links": links}),
    ))
}

/// The profile ids of a membership body, checked: at most 1000, all existing.
fn member_ids_of(app: &App, bytes: &Bytes) -> Result<Vec<String>, ApiError> {
    let value = body(bytes, "profile")?;
    let Some(items) = value["data"].as_array() else {
        return Err(ApiError::invalid_pointer(
            "/data",
            "'data' must be an array.",
        ));
    };
    if items.len() > MAX_MEMBERSHIP_CHANGE {
        return Err(ApiError::invalid_pointer(
            "/data",
            format!("At most {MAX_MEMBERSHIP_CHANGE} profiles may be given per request."),
        ));
    }
    let state = app.state();
    items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let id = item["id"].as_str().unwrap_or_default();
            match state.profile(id) {
                Some(_) => Ok(id.to_owned()),
                None => Err(
                    ApiError::not_found(format!("A profile with id {id} does not exist."))
                        .with_source(crate::klaviyo::fake::errors::ErrorSource::Pointer(format!(
                            "/data/{n}/id"
                        ))),
                ),
            }
        })
        .collect()
}

/// POST /api/lists/{id}/relationships/profiles → 204. Consent is not changed.
pub async fn add_members(
    State(app): State<App>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    // The path's list first, then the body's profiles.
    app.state()
        .list_index(&id)
        .ok_or_else(|| unknown_list(&id))?;
    let ids = member_ids_of(&app, &bytes)?;
    let mut state = app.state();
    let list = state.list_index(&id).ok_or_else(|| unknown_list(&id))?;
    let now = Utc::now();
    for pid in ids {
        state.lists[list].members.entry(pid).or_insert(now);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// DELETE /api/lists/{id}/relationships/profiles → 204. Does not unsubscribe.
pub async fn remove_members(
    State(app): State<App>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    // The path's list first, then the body's profiles.
    app.state()
        .list_index(&id)
        .ok_or_else(|| unknown_list(&id))?;
    let ids = member_ids_of(&app, &bytes)?;
    let mut state = app.state();
    let list = state.list_index(&id).ok_or_else(|| unknown_list(&id))?;
    for pid in ids {
        state.lists[list].members.remove(&pid);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
