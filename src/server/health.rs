//! `GET /healthz`: 200 when the server answers and the store can be read, 503 otherwise.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::ServerState;

/// `GET /healthz`.
pub async fn healthz(State(state): State<ServerState>) -> (StatusCode, Json<Value>) {
    let store = std::sync::Arc::clone(state.store());
    // Reading one record proves the store answers; it does not scan.
    let probe = tokio::task::spawn_blocking(move || store.customers().next().transpose()).await;
    match probe {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Ok(Err(error)) => unhealthy(error.to_string()),
        Err(join) => unhealthy(join.to_string()),
    }
}

fn unhealthy(reason: String) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "error": { "message": reason } })),
    )
}
