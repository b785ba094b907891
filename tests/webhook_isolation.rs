//! A custom batched webhook whose endpoint refuses a whole batch (400, no hint which item)
//! when it holds a bad item: the batch is halved down to the bad customers, who fail alone,
//! with a known number of requests.

mod support;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{json, Value};
use support::webhook_setup::{environment, fast, items, KEY};
use warmup::actions::{WebhookAction, WebhookOutcome};
use warmup::scenario::model::WebhookNode;

/// Serves `POST /hook`: 400 when an item's `id` is in `bad`, else 204; records batch sizes.
async fn endpoint(bad: &'static [&'static str]) -> (String, Arc<Mutex<Vec<usize>>>) {
    let sizes: Arc<Mutex<Vec<usize>>> = Arc::default();
    let seen = sizes.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: axum::Json<Value>| {
            let seen = seen.clone();
            async move {
                let items = body["items"].as_array().cloned().unwrap_or_default();
                seen.lock().unwrap().push(items.len());
                if items
                    .iter()
                    .any(|i| bad.contains(&i["id"].as_str().unwrap_or("")))
                {
                    (StatusCode::BAD_REQUEST, "bad batch")
                } else {
                    (StatusCode::NO_CONTENT, "")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, sizes)
}

#[tokio::test]
async fn a_refused_batch_is_halved_down_to_its_bad_customers() {
    let (url, sizes) = endpoint(&["c3", "c12"]).await;
    let mut setup = environment(&url, KEY, Some(fast()), None);
    setup.env.auth.clear();
    let node: WebhookNode = serde_json::from_value(json!({
        "url": format!("{url}/hook"),
        "body": { "items": "{{ items }}" },
        "batch": { "size": 16, "item": { "id": "{{ customer.id }}" } },
    }))
    .unwrap();
    let action = WebhookAction::new("custom", &node, &setup.env).unwrap();
    let outcomes = action.call(items(16)).await;
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|(_, o)| !o.is_done())
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(failed, ["c3", "c12"]);
    for (key, outcome) in &outcomes {
        if let WebhookOutcome::Failed { status, reason, .. } = outcome {
            assert_eq!(*status, Some(400), "{key}: {reason}");
        }
    }
    // 16 → 8 + 8 → four 4s → the two failing 4s in 2s → the two failing 2s in 1s.
    let sizes = sizes.lock().unwrap().clone();
    assert_eq!(sizes.len(), 15, "{sizes:?}");
    assert_eq!(sizes.iter().filter(|&&s| s == 1).count(), 4, "{sizes:?}");
}
