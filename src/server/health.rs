//! `GET /healthz`: 200 when the server answers and the store can be read and written; 503
//! with the reason otherwise (e.g. the disk is full), until a write succeeds again.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::store_health::probe_recording;
use super::ServerState;

/// `GET /healthz`.
pub async fn healthz(State(state): State<ServerState>) -> (StatusCode, Json<Value>) {
    let store = Arc::clone(state.store());
    // Reading one record proves the store answers; it does not scan.
    let read = tokio::task::spawn_blocking(move || store.customers().next().transpose()).await;
    match read {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => return unhealthy(format!("the store cannot be read: {error}")),
        Err(join) => return unhealthy(join.to_string()),
    }
    // Writing and flushing one small record proves writes reach disk: a full disk shows
    // here, not only in the answers to ingest requests.
    match probe_recording(&state).await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(reason) => unhealthy(format!("the store cannot be written: {reason}")),
    }
}

/// The 503 answer, also served while the store is being reopened.
pub(crate) fn unhealthy(reason: String) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "error": { "message": reason } })),
    )
}
