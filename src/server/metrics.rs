//! `GET /metrics`: Prometheus text format (version 0.0.4).
//!
//! Two sources: counters the server keeps itself ([`ServerMetrics`]: requests, ingested
//! customers and events, unsubscribes, flushes) and values read from the store at scrape
//! time ([`StoreCollector`](super::store_metrics::StoreCollector): the event log, the
//! engine's counters, parked tokens, sends, webhook outcomes, sync lag).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::prometheus_text;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::{ApiError, ServerState};

/// Labels of an HTTP request counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route pattern, e.g. `/unsubscribe/:token` (never the token itself).
    pub route: String,
    /// HTTP method.
    pub method: String,
    /// Response status code.
    pub status: u16,
}

/// Labels of the unsubscribe counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `recorded`, `already_rejected` or `refused`.
    pub outcome: &'static str,
}

/// Counters kept by the server itself.
#[derive(Debug, Clone, Default)]
pub struct ServerMetrics {
    requests: Family<RequestLabels, Counter>,
    customers: Counter,
    events: Counter,
    unsubscribes: Family<OutcomeLabels, Counter>,
}

impl ServerMetrics {
    /// Counts a finished request.
    pub fn request(&self, route: &str, method: &str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
    }

    /// Counts acknowledged customers.
    pub fn customers_accepted(&self, count: usize) {
        self.customers.inc_by(count as u64);
    }

    /// Counts acknowledged events.
    pub fn events_accepted(&self, count: usize) {
        self.events.inc_by(count as u64);
    }

    /// Counts an unsubscribe by outcome.
    pub fn unsubscribe(&self, outcome: &'static str) {
        self.unsubscribes
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// Registers the counters under the `warmup_` prefix.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            self.requests.clone(),
        );
        registry.register(
            "ingest_customers",
            "Customers acknowledged by the ingest API",
            self.customers.clone(),
        );
        registry.register(
            "ingest_events",
            "Events acknowledged by the ingest API",
            self.events.clone(),
        );
        registry.register(
            "unsubscribes",
            "One-click unsubscribes, by outcome",
            self.unsubscribes.clone(),
        );
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<ServerState>) -> Result<Response, ApiError> {
    let registry = state.registry();
    // Collectors read the store, which blocks: keep it off the async threads.
    let text = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        prometheus_text::encode(&mut text, &registry).map(|()| text)
    })
    .await
    .map_err(|join| ApiError::internal(format!("metrics task failed: {join}")))?
    .map_err(|_| ApiError::internal("could not encode the metrics"))?;
    Ok((
        [(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)],
        text,
    )
        .into_response())
}
