//! What the server answers while its store is being reopened after a write failure:
//! `/healthz` says why it is unavailable, every other route answers 503 (retry later).

use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::health::unhealthy;
use super::ApiError;

/// The router served between closing a failed store and opening it again; `reason` is the
/// store's last error (it names paths and OS errors, never a secret).
pub fn recovering_router(reason: &str) -> Router {
    let health = format!("the store is being reopened after a write failure: {reason}");
    Router::new()
        .route(
            "/healthz",
            get(move || {
                let health = health.clone();
                async move { unhealthy(health) }
            }),
        )
        .fallback(|| async {
            let mut response = ApiError::unavailable(
                "the store is being reopened after a write failure; nothing was written, retry later",
            )
            .into_response();
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
            response
        })
}
