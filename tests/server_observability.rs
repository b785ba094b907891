//! `/healthz` and `/metrics`: the exposition parses line by line as Prometheus text format
//! and its counters follow what the server did.

mod server_support;

use prometheus_parse::{LineInfo, Scrape, Value};
use serde_json::json;
use server_support::{json, TestServer};

/// Fetches `/metrics`, checks that every line parses and every sample is typed, and
/// returns the samples.
async fn scrape(server: &TestServer) -> Scrape {
    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    for line in text.lines() {
        assert!(
            !matches!(LineInfo::parse(line), LineInfo::Ignored),
            "line does not parse as Prometheus text: {line:?}"
        );
    }
    let scrape = Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).unwrap();
    for sample in &scrape.samples {
        assert!(
            !matches!(sample.value, Value::Untyped(_)),
            "{} has no TYPE line",
            sample.metric
        );
        assert!(
            scrape.docs.contains_key(&sample.metric),
            "{} has no HELP",
            sample.metric
        );
    }
    scrape
}

fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|sample| {
            sample.metric == metric && labels.iter().all(|(k, v)| sample.labels.get(k) == Some(v))
        })
        .map(|sample| match sample.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

#[tokio::test]
async fn healthz_answers_ok() {
    let server = TestServer::start().await;
    let (status, body) = json(
        server
            .client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn metrics_count_requests_ingest_and_the_event_log() {
    let server = TestServer::start().await;
    let before = scrape(&server).await;
    assert_eq!(value(&before, "warmup_event_log_total", &[]), Some(0.0));
    assert_eq!(value(&before, "warmup_ingest_events_total", &[]), Some(0.0));

    let events = json!({"events": [
        {"email": "a@b.co", "type": "x"}, {"email": "a@b.co", "type": "y"}, {"email": "c@b.co", "type": "x"},
    ]});
    assert_eq!(server.post_json("/v1/events", &events).await.status(), 200);
    assert_eq!(
        server
            .post_json("/v1/customers", &json!({"email": "d@b.co"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        server
            .post_json("/v1/events", &json!({"type": "x"}))
            .await
            .status(),
        400
    );
    server
        .client
        .get(server.url("/unsubscribe/forged"))
        .send()
        .await
        .unwrap();
    server
        .client
        .post(server.url("/unsubscribe/forged"))
        .send()
        .await
        .unwrap();

    let after = scrape(&server).await;
    assert_eq!(value(&after, "warmup_event_log_total", &[]), Some(3.0));
    assert_eq!(value(&after, "warmup_ingest_events_total", &[]), Some(3.0));
    assert_eq!(
        value(&after, "warmup_ingest_customers_total", &[]),
        Some(1.0)
    );
    let events_ok = [
        ("route", "/v1/events"),
        ("method", "POST"),
        ("status", "200"),
    ];
    assert_eq!(
        value(&after, "warmup_http_requests_total", &events_ok),
        Some(1.0)
    );
    let events_bad = [
        ("route", "/v1/events"),
        ("method", "POST"),
        ("status", "400"),
    ];
    assert_eq!(
        value(&after, "warmup_http_requests_total", &events_bad),
        Some(1.0)
    );
    // The route pattern is the label, never the token from the path.
    let page = [
        ("route", "/unsubscribe/:token"),
        ("method", "GET"),
        ("status", "400"),
    ];
    assert_eq!(
        value(&after, "warmup_http_requests_total", &page),
        Some(1.0)
    );
    assert_eq!(
        value(
            &after,
            "warmup_unsubscribes_total",
            &[("outcome", "refused")]
        ),
        Some(1.0)
    );
    assert!(value(&after, "warmup_store_flushes_total", &[]).unwrap() >= 1.0);
}

#[tokio::test]
async fn sync_lag_is_the_age_of_each_klaviyo_cursor() {
    let server = TestServer::start().await;
    let cursors = server.store().tree("klaviyo/cursors").unwrap();
    let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    cursors
        .insert("profiles.updated", hour_ago.to_rfc3339().as_bytes())
        .unwrap();
    let scrape = scrape(&server).await;
    let age = value(
        &scrape,
        "warmup_klaviyo_sync_cursor_age_seconds",
        &[("cursor", "profiles.updated")],
    )
    .expect("the cursor's age");
    // An hour, plus however long the scrape took.
    assert!((3600.0..3900.0).contains(&age), "{age}");
}

#[tokio::test]
async fn status_without_an_engine_is_unavailable() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/status"))
        .bearer_auth(server_support::TOKEN)
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 503);
    assert_eq!(
        body["error"]["message"],
        "no engine in this process: start the server with `warmup run` or `warmup serve` on a project"
    );
}
