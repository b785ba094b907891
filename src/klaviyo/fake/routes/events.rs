//! `/api/metrics` and `/api/events` (with `include=profile,metric`).

use std::collections::BTreeSet;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::DateTime;
use serde_json::{json, Value};

use crate::klaviyo::fake::errors::ApiError;
use crate::klaviyo::fake::filter::{self, Allowed, Condition, Kind, Literal, Op};
use crate::klaviyo::fake::model::{Event, Metric};
use crate::klaviyo::fake::pagination::{links, Query};
use crate::klaviyo::fake::render;
use crate::klaviyo::fake::server::{document, App};
use crate::klaviyo::fake::state::FakeState;
use crate::klaviyo::ids::{event_id, event_seq};

/// Metrics per page (no `page[size]`).
const METRICS_PER_PAGE: usize = 200;

const METRIC_FILTERS: &[Allowed] = &[
    ("integration.name", Kind::Text, &[Op::Equals]),
    ("integration.category", Kind::Text, &[Op::Equals]),
];

const RANGE: &[Op] = &[
    Op::GreaterThan,
    Op::GreaterOrEqual,
    Op::LessThan,
    Op::LessOrEqual,
];
const EVENT_FILTERS: &[Allowed] = &[
    ("metric_id", Kind::Text, &[Op::Equals]),
    ("profile_id", Kind::Text, &[Op::Equals]),
    ("datetime", Kind::Time, RANGE),
    ("timestamp", Kind::Number, RANGE),
    ("profile", Kind::Relation, &[Op::Has]),
    ("metric", Kind::Relation, &[Op::Has]),
];

/// GET /api/metrics
pub async fn metrics(
    State(app): State<App>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    query.no_page_size()?;
    let conditions = match query.get("filter") {
        Some(text) => filter::parse(text, METRIC_FILTERS)?,
        None => Vec::new(),
    };
    let after = query.cursor()?;
    let fields = query.list("fields[metric]");
    let state = app.state();
    let start = after
        .and_then(|id| state.metrics.iter().position(|m| m.id == id).map(|i| i + 1))
        .unwrap_or(0);
    let matches = |m: &&Metric| {
        conditions.iter().all(|c| match c.field.as_str() {
            "integration.name" => c.matches_text(Some(&m.integration)),
            _ => c.matches_text(Some(&m.category)),
        })
    };
    let mut hits = state.metrics[start..].iter().filter(matches);
    let page: Vec<&Metric> = hits.by_ref().take(METRICS_PER_PAGE).collect();
    let more = page.len() == METRICS_PER_PAGE && hits.next().is_some();
    let data: Vec<Value> = page
        .iter()
        .map(|m| render::metric(app.base(), m, fields.as_deref()))
        .collect();
    let next = more.then(|| page.last().map(|m| m.id.as_str())).flatten();
    let links = links(app.base(), "/api/metrics/", &query, next);
    Ok(document(
        StatusCode::OK,
        json!({"data": data, "links": links}),
    ))
}

/// GET /api/metrics/{id}
pub async fn metric(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let state = app.state();
    let metric = state
        .metrics
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| ApiError::not_found(format!("A metric with id {id} does not exist.")))?;
    let fields = query.list("fields[metric]");
    let data = render::metric(app.base(), metric, fields.as_deref());
    Ok(document(StatusCode::OK, json!({"data": data})))
}

fn event_matches(state: &FakeState, e: &Event, c: &Condition) -> bool {
    match c.field.as_str() {
        "metric_id" => c.matches_text(Some(&state.metrics[e.metric as usize].id)),
        "profile_id" => c.matches_text(Some(&state.profiles[e.profile as usize].id)),
        "datetime" => DateTime::from_timestamp(e.timestamp, 0).is_some_and(|t| c.matches_time(t)),
        "timestamp" => c.matches_number(e.timestamp as f64),
        _ => true,
    }
}

/// The first position a lower datetime/timestamp bound allows, found by binary search.
fn lower_bound(state: &FakeState, conditions: &[Condition]) -> usize {
    conditions
        .iter()
        .filter(|c| matches!(c.op, Op::GreaterThan | Op::GreaterOrEqual))
        .filter_map(|c| match (&c.value, c.field.as_str()) {
            (Literal::Time(t), "datetime") => Some(t.timestamp()),
            (Literal::Number(n), "timestamp") => Some(n.floor() as i64),
            _ => None,
        })
        .map(|bound| state.events.partition_point(|e| e.timestamp < bound))
        .max()
        .unwrap_or(0)
}

/// GET /api/events (in time order; `page[size]` up to 1000).
pub async fn list(State(app): State<App>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let size = query.page_size(200, 1000)?;
    query.check_sort(&["datetime", "timestamp"])?;
    let conditions = match query.get("filter") {
        Some(text) => filter::parse(text, EVENT_FILTERS)?,
        None => Vec::new(),
    };
    let after = match query.cursor()? {
        Some(id) => Some(event_seq(&id).ok_or_else(ApiError::invalid_cursor)? as usize + 1),
        None => None,
    };
    let include = query.list("include").unwrap_or_default();
    if let Some(bad) = include.iter().find(|i| *i != "profile" && *i != "metric") {
        return Err(ApiError::invalid_parameter(
            "include",
            format!("'{bad}' is not a valid relationship for 'event'."),
        ));
    }
    let state = app.state();
    let start = after.unwrap_or(0).max(lower_bound(&state, &conditions));
    let mut hits = (start..state.events.len()).filter(|&i| {
        conditions
            .iter()
            .all(|c| event_matches(&state, &state.events[i], c))
    });
    let page: Vec<usize> = hits.by_ref().take(size).collect();
    let more = page.len() == size && hits.next().is_some();
    let fields = query.list("fields[event]");
    let data: Vec<Value> = page
        .iter()
        .map(|&i| render::event(app.base(), &state, i, fields.as_deref()))
        .collect();
    let included = included(&app, &state, &page, &include, &query);
    let next = more
        .then(|| page.last().map(|&i| event_id(i as u64)))
        .flatten();
    let links = links(app.base(), "/api/events/", &query, next.as_deref());
    let mut doc = json!({"data": data, "links": links});
    if !include.is_empty() {
        doc["included"] = Value::Array(included);
    }
    Ok(document(StatusCode::OK, doc))
}

/// The profiles and metrics an event page refers to, each once.
fn included(
    app: &App,
    state: &FakeState,
    page: &[usize],
    include: &[String],
    query: &Query,
) -> Vec<Value> {
    let mut out = Vec::new();
    if include.iter().any(|i| i == "profile") {
        let fields = query.list("fields[profile]");
        let profiles: BTreeSet<u32> = page.iter().map(|&i| state.events[i].profile).collect();
        out.extend(profiles.into_iter().map(|p| {
            render::profile(
                app.base(),
                &state.profiles[p as usize],
                false,
                fields.as_deref(),
            )
        }));
    }
    if include.iter().any(|i| i == "metric") {
        let fields = query.list("fields[metric]");
        let metrics: BTreeSet<u16> = page.iter().map(|&i| state.events[i].metric).collect();
        out.extend(
            metrics
                .into_iter()
                .map(|m| render::metric(app.base(), &state.metrics[m as usize], fields.as_deref())),
        );
    }
    out
}

/// GET /api/events/{id}
pub async fn one(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let state = app.state();
    let seq = event_seq(&id)
        .map(|s| s as usize)
        .filter(|&s| s < state.events.len())
        .ok_or_else(|| ApiError::not_found(format!("An event with id {id} does not exist.")))?;
    let fields = query.list("fields[event]");
    let data = render::event(app.base(), &state, seq, fields.as_deref());
    Ok(document(StatusCode::OK, json!({"data": data})))
}
