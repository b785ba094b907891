//! What every `/api` request passes before its handler: request counting, injected failures,
//! `Authorization`, `revision`, body content type and the rate limiter.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};

use super::errors::{ApiError, JSON_API};
use super::rate_limit::{Decision, Tier};
use super::server::App;

/// The earliest revision Klaviyo serves.
const EARLIEST_REVISION: &str = "2022-10-17";

/// The middleware: rejects or forwards, then adds `RateLimit-*` headers.
pub async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    let route = route_name(&request);
    app.count(&route);
    if let Err(error) = admit(&app, &request, &route) {
        return error.into_response();
    }
    let (tier, bucket) = limit_of(&request);
    let decision = app.limiter().check(bucket, tier, Instant::now());
    if let Decision::Throttled(seconds) = decision {
        app.note_throttled();
        return ApiError::throttled(seconds).into_response();
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Decision::Allowed {
        limit,
        remaining,
        reset,
    } = decision
    {
        headers.insert("RateLimit-Limit", HeaderValue::from(limit));
        headers.insert("RateLimit-Remaining", HeaderValue::from(remaining));
        headers.insert("RateLimit-Reset", HeaderValue::from(reset));
    }
    response
}

fn admit(app: &App, request: &Request, _route: &str) -> Result<(), ApiError> {
    if app.take_injected_failure() {
        return Err(ApiError::server_error());
    }
    check_auth(request.headers(), app.api_key())?;
    check_revision(request.headers())?;
    check_content_type(request.method(), request.headers())
}

/// `METHOD /path` with the matched pattern and no trailing slash, e.g. `GET /api/lists/{id}`.
pub fn route_name(request: &Request) -> String {
    let path = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |m| m.as_str().to_owned(),
    );
    format!("{} {}", request.method(), path.trim_end_matches('/'))
}

fn check_auth(headers: &HeaderMap, key: &str) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::not_authenticated(
            "Authentication credentials were not provided.",
        ));
    };
    let value = value.to_str().unwrap_or("");
    let given = value
        .strip_prefix("Klaviyo-API-Key ")
        .or_else(|| value.strip_prefix("Bearer "));
    match given {
        None => Err(ApiError::not_authenticated(
            "Missing or invalid authorization scheme. Please use Klaviyo-API-Key.",
        )),
        Some(given) if given.trim() != key => Err(ApiError::not_authenticated(
            "Incorrect authentication credentials.",
        )),
        Some(_) => Ok(()),
    }
}

fn check_revision(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(raw) = headers.get("revision").and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::invalid("Missing required header: revision."));
    };
    let date = raw.strip_suffix(".pre").unwrap_or(raw);
    let Ok(parsed) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
        return Err(ApiError::invalid(format!(
            "Invalid revision '{raw}'. Use the format YYYY-MM-DD."
        )));
    };
    if parsed > Utc::now().date_naive() {
        return Err(ApiError::invalid(
            "unable to specify a future revision date",
        ));
    }
    if date < EARLIEST_REVISION {
        return Err(ApiError::not_found("No valid revisions found for method"));
    }
    Ok(())
}

fn check_content_type(method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    if method == Method::GET || headers.get(header::CONTENT_LENGTH).is_none_or(|l| l == "0") {
        return Ok(());
    }
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = value.split(';').next().unwrap_or("").trim();
    if essence == JSON_API || essence == "application/json" {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type())
    }
}

/// The tier and rate-limit bucket of an endpoint (klaviyo-api.md §2).
fn limit_of(request: &Request) -> (Tier, &'static str) {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("", |m| m.as_str())
        .trim_end_matches('/');
    let query = request.uri().query().unwrap_or("");
    let get = request.method() == Method::GET;
    match path {
        "/api/lists/{id}" if query.contains("profile_count") => (Tier::XS, "list-count"),
        "/api/lists" | "/api/lists/{id}" => (Tier::L, "lists"),
        "/api/lists/{id}/relationships/profiles" if !get => (Tier::M, "list-membership"),
        "/api/lists/{id}/profiles" | "/api/lists/{id}/relationships/profiles" => {
            (Tier::L, "list-profiles")
        }
        "/api/segments/{id}/profiles" => (Tier::L, "segment-profiles"),
        "/api/metrics" | "/api/metrics/{id}" => (Tier::M, "metrics"),
        "/api/events" => (Tier::XL, "events"),
        "/api/events/{id}" => (Tier::M, "event"),
        p if p.starts_with("/api/profile-subscription") => (Tier::L, "subscription-jobs"),
        _ => (Tier::L, "profiles"),
    }
}
