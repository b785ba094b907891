//! The axum [`Router`] of the HTTP service: every route, the body limit, the body and
//! request timeouts, bearer-token authentication of the API routes, and request counting.

use std::any::Any;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use super::{auth, health, ingest, metrics, status, unsubscribe, ApiError, ServerState};

/// The complete router with its state: serve it with `axum::serve`, or call it in-process.
///
/// | route | auth | purpose |
/// |---|---|---|
/// | `POST /v1/customers` | bearer | upsert customers (single or `{"customers":[…]}`) |
/// | `POST /v1/events` | bearer | record events (single or `{"events":[…]}`) |
/// | `GET /status` | bearer | runs, node counts, parked tokens, next fires |
/// | `GET /unsubscribe/{token}` | signed token | confirmation page |
/// | `POST /unsubscribe/{token}` | signed token | one-click unsubscribe (RFC 8058) |
/// | `GET /healthz` | none | liveness and store readability |
/// | `GET /metrics` | none | Prometheus text format |
pub fn router(state: ServerState) -> Router {
    let api = Router::new()
        .route("/v1/customers", post(ingest::customers))
        .route("/v1/events", post(ingest::events))
        .route("/status", get(status::status))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    Router::new()
        .merge(api)
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe::page).post(unsubscribe::confirm),
        )
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.max_body_bytes()))
        // A stalled upload fails the body read (408, see `ingest::json_body`); a request
        // that takes too long as a whole is answered 408 here. Both inside `count`, so
        // timeouts are counted like any answer.
        .layer(RequestBodyTimeoutLayer::new(
            state.limits().body_read_timeout,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.limits().request_timeout,
        ))
        .layer(catch_panics())
        .layer(middleware::from_fn_with_state(state.clone(), count))
        .with_state(state)
}

/// A handler that panics answers a logged 500 instead of dropping the connection.
fn catch_panics() -> CatchPanicLayer<fn(Box<dyn Any + Send + 'static>) -> Response> {
    CatchPanicLayer::custom(panicked as fn(Box<dyn Any + Send + 'static>) -> Response)
}

fn panicked(payload: Box<dyn Any + Send + 'static>) -> Response {
    let detail = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(detail, "an HTTP handler panicked");
    ApiError::internal("the server failed while answering; retry later").into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this endpoint does not accept that method",
    )
}

/// Counts every answered request by route pattern (never by the raw path, which may carry
/// an unsubscribe token or be anything a client invents), method (bounded, see
/// [`metrics::method_label`]) and status.
async fn count(State(state): State<ServerState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| route_label(path.as_str()));
    let method = request.method().clone();
    let response = next.run(request).await;
    state
        .metrics()
        .request(&route, &method, response.status().as_u16());
    response
}

/// `/unsubscribe/{token}` becomes `/unsubscribe/:token`: braces in label values are valid
/// Prometheus text but trip up line-oriented parsers and shell tools.
fn route_label(pattern: &str) -> String {
    pattern
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_answers_500() {
        let app: Router = Router::new()
            .route(
                "/boom",
                get(|| async {
                    panic!("boom");
                    #[allow(unreachable_code)]
                    ""
                }),
            )
            .layer(catch_panics());
        let request = Request::builder().uri("/boom").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
