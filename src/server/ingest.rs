//! The ingest API: `POST /v1/customers` and `POST /v1/events`, single or batched.
//!
//! A request is validated whole (see [`payload`](super::payload)), written to the store,
//! and acknowledged only after the store is flushed: a 200 means the data survives a crash.
//! Recorded events reach `on_event` triggers through the store's event log, and the
//! server's event feed wakes the engine at once.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

use super::payload::{self, EventItem};
use super::{ApiError, ServerState};
use crate::store::{CustomerId, Store, StoreError, UpsertOutcome};

/// Answer to `POST /v1/customers`.
#[derive(Debug, Serialize)]
pub struct CustomersAck {
    /// How many customers were written.
    pub accepted: usize,
    /// What happened to each, in request order.
    pub customers: Vec<CustomerAck>,
}

/// What an upsert did to one customer.
#[derive(Debug, Serialize)]
pub struct CustomerAck {
    /// The customer's internal id.
    pub id: CustomerId,
    /// `created`, `updated`, `unchanged` or `merged`.
    pub outcome: &'static str,
    /// Customers merged into this one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absorbed: Vec<CustomerId>,
}

/// Answer to `POST /v1/events`.
#[derive(Debug, Serialize)]
pub struct EventsAck {
    /// How many events were recorded.
    pub accepted: usize,
    /// Where each landed, in request order.
    pub events: Vec<EventAck>,
}

/// Where one event landed.
#[derive(Debug, Serialize)]
pub struct EventAck {
    /// The customer it was recorded for.
    pub customer: CustomerId,
    /// Its position in the event log.
    pub seq: u64,
}

/// `POST /v1/customers`: upserts one customer or a batch.
pub async fn customers(
    State(state): State<ServerState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CustomersAck>, ApiError> {
    let json = json_body(&state, body)?;
    let records = payload::customers(&json)?;
    let store = std::sync::Arc::clone(state.store());
    let outcomes = blocking(&state, move || {
        records
            .iter()
            .map(|record| store.upsert(record))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    durable(&state).await?;
    state.metrics().customers_accepted(outcomes.len());
    Ok(Json(CustomersAck {
        accepted: outcomes.len(),
        customers: outcomes.into_iter().map(CustomerAck::from).collect(),
    }))
}

/// `POST /v1/events`: records one event or a batch, creating unknown customers.
pub async fn events(
    State(state): State<ServerState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EventsAck>, ApiError> {
    let json = json_body(&state, body)?;
    let items = payload::events(&json, state.rules(), Utc::now())?;
    let store = std::sync::Arc::clone(state.store());
    let acks = blocking(&state, move || record(&store, &items)).await?;
    durable(&state).await?;
    if let Some(next) = acks.iter().map(|ack| ack.seq + 1).max() {
        state.announce_events(next);
    }
    state.metrics().events_accepted(acks.len());
    Ok(Json(EventsAck {
        accepted: acks.len(),
        events: acks,
    }))
}

/// Finds or creates each event's customer, then records the events as one batch.
fn record(store: &Store, items: &[EventItem]) -> Result<Vec<EventAck>, StoreError> {
    let batch = items
        .iter()
        .map(|item| Ok((store.upsert(&item.customer)?.customer(), item.event.clone())))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let seqs = store.record_events(&batch)?;
    Ok(batch
        .iter()
        .zip(seqs)
        .map(|((customer, _), seq)| EventAck {
            customer: *customer,
            seq,
        })
        .collect())
}

impl From<UpsertOutcome> for CustomerAck {
    fn from(outcome: UpsertOutcome) -> Self {
        let (id, outcome, absorbed) = match outcome {
            UpsertOutcome::Created(id) => (id, "created", Vec::new()),
            UpsertOutcome::Updated(id) => (id, "updated", Vec::new()),
            UpsertOutcome::Unchanged(id) => (id, "unchanged", Vec::new()),
            UpsertOutcome::Merged { survivor, absorbed } => (survivor, "merged", absorbed),
        };
        Self {
            id,
            outcome,
            absorbed,
        }
    }
}

/// Reads the body as JSON: 413 above the limit, 400 (with line and column) when malformed.
pub(crate) fn json_body(
    state: &ServerState,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(state.max_body_bytes())
        } else if is_body_timeout(&rejection) {
            ApiError::body_timeout(state.limits().body_read_timeout)
        } else {
            ApiError::invalid("body", rejection.body_text())
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid(
            "body",
            "the body is empty; expected JSON",
        ));
    }
    // serde_json's message ends with the line and column.
    serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::invalid("body", format!("invalid JSON: {error}")))
}

/// Whether the body stopped arriving for longer than `server.body_read_timeout`.
fn is_body_timeout(rejection: &BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(error) = source {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// Runs store work off the async threads; a failure of the store (not of the request's
/// data) is noted in the store's health.
async fn blocking<T: Send + 'static>(
    state: &ServerState,
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join| ApiError::internal(format!("store task failed: {join}")))?
        .map_err(|error| noted(state, error))
}

/// Waits for the group commit that makes the request's writes durable.
async fn durable(state: &ServerState) -> Result<(), ApiError> {
    match state.commit().commit().await {
        Ok(()) => {
            state.store_health().record_success();
            Ok(())
        }
        Err(error) => Err(noted(state, error)),
    }
}

/// [`store_error`], noting a store failure in the store's health.
pub(crate) fn noted(state: &ServerState, error: StoreError) -> ApiError {
    if !is_invalid_input(&error) {
        state.store_health().record_failure(&error);
    }
    store_error(error)
}

fn is_invalid_input(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::InvalidId { .. } | StoreError::NoId | StoreError::InvalidEvent(_)
    )
}

/// Maps a store failure: the store's own validation is a 400, anything else a 500.
pub(crate) fn store_error(error: StoreError) -> ApiError {
    if is_invalid_input(&error) {
        ApiError::invalid("body", error.to_string())
    } else {
        ApiError::internal(format!("the store failed: {error}"))
    }
}
