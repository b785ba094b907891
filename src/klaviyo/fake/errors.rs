//! JSON:API error documents, shaped like Klaviyo's (`errors[]` with `id`, `status`, `code`,
//! `title`, `detail`, `source`, `links`, `meta`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// The content type of every Klaviyo response body.
pub const JSON_API: &str = "application/vnd.api+json";

/// Where in the request an error points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorSource {
    /// A JSON pointer into the request body, e.g. `/data/attributes`.
    Pointer(String),
    /// A query parameter, e.g. `filter`.
    Parameter(String),
}

/// One error answer of the fake: status plus the single entry of `errors[]`. Boxed, so
/// `Result<_, ApiError>` stays small.
#[derive(Debug, Clone)]
pub struct ApiError(Box<ErrorInfo>);

impl std::ops::Deref for ApiError {
    type Target = ErrorInfo;
    fn deref(&self) -> &ErrorInfo {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorInfo {
        &mut self.0
    }
}

/// The content of an [`ApiError`].
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine code, e.g. `invalid`, `not_authenticated`, `duplicate_profile`.
    pub code: &'static str,
    /// Short title, e.g. `Invalid input.`.
    pub title: &'static str,
    /// Human detail.
    pub detail: String,
    /// Pointer or parameter.
    pub source: Option<ErrorSource>,
    /// Extra `meta`, e.g. `duplicate_profile_id`.
    pub meta: Map<String, Value>,
    /// Extra `links`, e.g. the rate-limit documentation for 429.
    pub links: Map<String, Value>,
    /// `Retry-After` seconds for 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, title: &'static str, detail: String) -> Self {
        Self(Box::new(ErrorInfo {
            status,
            code,
            title,
            detail,
            source: None,
            meta: Map::new(),
            links: Map::new(),
            retry_after: None,
        }))
    }

    /// 400 `invalid` with a detail.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid input.",
            detail.into(),
        )
    }

    /// 400 `invalid` pointing at a query parameter.
    pub fn invalid_parameter(parameter: &str, detail: impl Into<String>) -> Self {
        Self::invalid(detail).with_source(ErrorSource::Parameter(parameter.to_owned()))
    }

    /// 400 `invalid` pointing into the body.
    pub fn invalid_pointer(pointer: &str, detail: impl Into<String>) -> Self {
        Self::invalid(detail).with_source(ErrorSource::Pointer(pointer.to_owned()))
    }

    /// 400 "Invalid filter provided."
    pub fn invalid_filter() -> Self {
        Self::invalid_parameter("filter", "Invalid filter provided.")
    }

    /// 400 "Invalid cursor provided."
    pub fn invalid_cursor() -> Self {
        Self::invalid_parameter("page[cursor]", "Invalid cursor provided.")
    }

    /// 401 `not_authenticated`.
    pub fn not_authenticated(detail: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
            "Authentication credentials were not provided.",
            detail.to_owned(),
        )
        .with_source(ErrorSource::Pointer("/data/".to_owned()))
    }

    /// 404 `not_found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not found.",
            detail.into(),
        )
    }

    /// 405 `method_not_allowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed.",
            "The method is not allowed for this endpoint.".to_owned(),
        )
    }

    /// 409 `duplicate_profile` naming the profile that owns the identifier.
    pub fn duplicate_profile(existing_id: &str) -> Self {
        let mut error = Self::new(
            StatusCode::CONFLICT,
            "duplicate_profile",
            "Conflict.",
            "A profile already exists with one of these identifiers.".to_owned(),
        )
        .with_source(ErrorSource::Pointer("/data/attributes".to_owned()));
        error
            .meta
            .insert("duplicate_profile_id".into(), Value::from(existing_id));
        error
    }

    /// 415 for a body that is neither `application/vnd.api+json` nor `application/json`.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type.",
            "Use Content-Type: application/vnd.api+json.".to_owned(),
        )
    }

    /// 429 `throttled` with `Retry-After`.
    pub fn throttled(retry_after: u64) -> Self {
        let unit = if retry_after == 1 {
            "second"
        } else {
            "seconds"
        };
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "Request was throttled.",
            format!("Request was throttled. Expected available in {retry_after} {unit}."),
        );
        error.links.insert(
            "type".into(),
            Value::from("https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling"),
        );
        error.retry_after = Some(retry_after);
        error
    }

    /// 500, for tests that inject server errors.
    pub fn server_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "error",
            "A server error occurred.",
            "A server error occurred.".to_owned(),
        )
    }

    /// Sets the source.
    pub fn with_source(mut self, source: ErrorSource) -> Self {
        self.source = Some(source);
        self
    }

    /// The JSON:API error document.
    pub fn body(&self) -> Value {
        let source = match &self.source {
            Some(ErrorSource::Pointer(p)) => json!({ "pointer": p }),
            Some(ErrorSource::Parameter(p)) => json!({ "parameter": p }),
            None => json!({}),
        };
        json!({ "errors": [{
            "id": uuid::Uuid::new_v4().to_string(),
            "status": self.status.as_u16(),
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "source": source,
            "links": self.links,
            "meta": self.meta,
        }]})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_API));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
