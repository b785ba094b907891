//! The JSON error every API endpoint answers with: a status code, the field at fault (a
//! path into the request such as `events[3].timestamp`, or a header name) and a message.
//!
//! ```json
//! {"error":{"field":"events[3].timestamp","message":"`yesterday` is not an RFC 3339 date-time"}}
//! ```

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An API error: rendered as `{"error":{"field":…,"message":…}}` with its status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    field: Option<String>,
    message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    message: &'a str,
}

impl ApiError {
    /// An error with a status and message, not tied to a field.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            field: None,
            message: message.into(),
        }
    }

    /// 400: the field at `path` is invalid.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message).at(path)
    }

    /// 401: the bearer token is missing or wrong.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message).at("authorization")
    }

    /// 413: the body is larger than `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the limit of {limit} bytes (server.max_body_bytes)"),
        )
    }

    /// 408: the body paused for longer than `limit` (`server.body_read_timeout`).
    pub fn body_timeout(limit: std::time::Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body stopped arriving for more than {} (server.body_read_timeout)",
                humantime::format_duration(limit)
            ),
        )
        .at("body")
    }

    /// 500: the store failed; the message names what failed, never a secret.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// 503: the server is shutting down or not ready.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// Names the field at fault (builder style).
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.field = Some(path.into());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The field at fault, if any.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        let body = Body {
            error: Detail {
                field: self.field.as_deref(),
                message: &self.message,
            },
        };
        // Serialising two strings cannot fail; fall back to a fixed body all the same.
        serde_json::to_string(&body)
            .unwrap_or_else(|_| r#"{"error":{"message":"error"}}"#.to_owned())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} ({field}): {}", self.status, self.message),
            None => write!(f, "{}: {}", self.status, self.message),
        }
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The operator must see every failure on our side; messages name what failed
        // (store paths, OS errors), never a token or key.
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(status = self.status.as_u16(), message = %self.message, "HTTP request failed");
        } else if self.status.is_server_error() {
            tracing::warn!(status = self.status.as_u16(), message = %self.message, "HTTP request refused");
        }
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            self.to_json(),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="warmup""#),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_and_omits_it_when_absent() {
        let error = ApiError::invalid("events[3].timestamp", "not a date-time");
        assert_eq!(
            error.to_json(),
            r#"{"error":{"field":"events[3].timestamp","message":"not a date-time"}}"#
        );
        assert_eq!(
            ApiError::internal("store failed").to_json(),
            r#"{"error":{"message":"store failed"}}"#
        );
    }

    #[test]
    fn unauthorized_carries_a_challenge() {
        let response = ApiError::unauthorized("missing bearer token").into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
