//! `GET /api/segments/{id}/profiles`: a segment's member profiles with `joined_group_at`.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::members::{self, MembersQuery, SEGMENT_MEMBER_FILTERS};
use crate::klaviyo::fake::errors::ApiError;
use crate::klaviyo::fake::pagination::{links, Query};
use crate::klaviyo::fake::server::{document, App};

/// GET /api/segments/{id}/profiles (at most 100 per page, in profile id order).
pub async fn profiles(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let wanted = MembersQuery::parse(&query, SEGMENT_MEMBER_FILTERS)?;
    let state = app.state();
    let segment = state
        .segment(&id)
        .ok_or_else(|| ApiError::not_found(format!("A segment with id {id} does not exist.")))?;
    let (page, next) = wanted.page(&state, &segment.members);
    let data = members::documents(app.base(), &state, &page, &query);
    let path = format!("/api/segments/{id}/profiles/");
    let links = links(app.base(), &path, &query, next.as_deref());
    Ok(document(
        StatusCode::OK,
        json!({"data": data, "links": links}),
    ))
}
