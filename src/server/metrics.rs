//! `GET /metrics`: Prometheus text format (version 0.0.4).
//!
//! Two sources: counters the server keeps itself ([`ServerMetrics`]: requests, ingested
//! customers and events, unsubscribes, flushes) and values read from the store at scrape
//! time ([`StoreCollector`](super::store_metrics::StoreCollector): the event log, the
//! engine's counters, parked tokens, sends, webhook outcomes, sync lag).

use axum::extract::State;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::prometheus_text;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::{ApiError, ServerState};

/// The methods of RFC 9110 and PATCH: the values the `method` label can take besides
/// `other`.
pub const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The `method` label of a request: its method when it is one of [`KNOWN_METHODS`], else
/// `other`. HTTP allows any token as a method, so labelling with the raw method would let
/// any client grow the exposition without bound.
pub fn method_label(method: &Method) -> &'static str {
    KNOWN_METHODS
        .iter()
        .find(|known| **known == method.as_str())
        .copied()
        .unwrap_or("other")
}

/// Labels of an HTTP request counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route pattern, e.g. `/unsubscribe/:token` (never the token itself).
    pub route: String,
    /// HTTP method: one of [`KNOWN_METHODS`] or `other` (see [`method_label`]).
    pub method: &'static str,
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
    /// Counts a finished request. `route` must be a route template (or `unmatched`), never
    /// a raw path: together with [`method_label`] this keeps the series count bounded
    /// whatever clients send.
    pub fn request(&self, route: &str, method: &Method, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method_label(method),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_methods_label_themselves() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "other");
        let lower = Method::from_bytes(b"get").unwrap();
        assert_eq!(method_label(&lower), "other");
    }
}
