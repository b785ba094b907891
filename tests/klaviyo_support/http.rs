//! Raw HTTP calls to the fake, shaped like Klaviyo's SDKs make them.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use warmup::klaviyo::fake::{FakeConfig, FakeKlaviyo, RateLimits, DEFAULT_FAKE_KEY};

pub const REVISION: &str = "2026-07-15";

pub async fn fake(profiles: usize) -> FakeKlaviyo {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(profiles)
    };
    FakeKlaviyo::start(config).await.unwrap()
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

pub async fn call(fake: &FakeKlaviyo, method: Method, path: &str, body: Option<Value>) -> Reply {
    call_with(
        fake,
        method,
        path,
        body,
        Some(DEFAULT_FAKE_KEY),
        Some(REVISION),
    )
    .await
}

pub async fn call_with(
    fake: &FakeKlaviyo,
    method: Method,
    path: &str,
    body: Option<Value>,
    key: Option<&str>,
    revision: Option<&str>,
) -> Reply {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{}{path}", fake.base_url())
    };
    let mut request = reqwest::Client::new()
        .request(method, url)
        .header("Accept", "application/vnd.api+json");
    if let Some(key) = key {
        request = request.header("Authorization", format!("Klaviyo-API-Key {key}"));
    }
    if let Some(revision) = revision {
        request = request.header("revision", revision);
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/vnd.api+json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// The error document with its random `id` replaced, for snapshots.
pub fn error_doc(mut body: Value) -> Value {
    let id = body["errors"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(id.len(), 36, "error id is a UUID: {body}");
    body["errors"][0]["id"] = json!("[uuid]");
    body
}
