//! An HTTP server on 127.0.0.1 that speaks the part of Klaviyo's API the presets use,
//! checking headers and JSON:API bodies the way Klaviyo does, with fixed-window rate
//! limits, scripted failures, and a record of every request.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::fake_klaviyo_routes;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The body as JSON (panics in tests if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A reply the server gives instead of the normal one, in order.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// An error status with a Klaviyo error body.
    Status(u16),
    /// 429 with this `Retry-After` (seconds).
    Throttle(u64),
    /// Wait this long before answering normally.
    Slow(Duration),
    /// A non-JSON HTML error page, as a proxy in front of the API sends.
    Html(u16),
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct Options {
    pub api_key: String,
    /// Fixed windows (per second, per minute), aligned to the clock, as Klaviyo's.
    pub limit: Option<(u32, u32)>,
    /// Keep bodies and headers of every request (off for benchmarks).
    pub record: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            api_key: "pk_test_0123456789abcdef0123456789ab".into(),
            limit: None,
            record: true,
        }
    }
}

/// Shared server state, readable by the test.
#[derive(Debug, Default)]
pub struct ApiState {
    pub options: Mutex<Option<Options>>,
    pub requests: Mutex<Vec<Recorded>>,
    pub script: Mutex<VecDeque<Scripted>>,
    pub count: AtomicUsize,
    pub throttled: AtomicUsize,
    pub list_members: Mutex<HashMap<String, HashSet<String>>>,
    pub profiles_by_email: Mutex<HashMap<String, String>>,
    windows: Mutex<[(u64, u32); 2]>,
}

/// The running server; stops when dropped.
pub struct FakeKlaviyo {
    pub base_url: String,
    pub state: Arc<ApiState>,
    stop: CancellationToken,
}

impl Drop for FakeKlaviyo {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl FakeKlaviyo {
    /// Starts a server on a free loopback port.
    pub async fn start(options: Options) -> Self {
        let state = Arc::new(ApiState::default());
        *state.options.lock().unwrap() = Some(options);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = Router::new().fallback(handle).with_state(state.clone());
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stopped.cancelled_owned())
                .await
                .unwrap();
        });
        Self {
            base_url: format!("http://{address}"),
            state,
            stop,
        }
    }

    /// Replies to give, in order, before normal service resumes.
    pub fn script(&self, replies: impl IntoIterator<Item = Scripted>) {
        self.state.script.lock().unwrap().extend(replies);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.state.count.load(Ordering::SeqCst)
    }

    pub fn throttled(&self) -> usize {
        self.state.throttled.load(Ordering::SeqCst)
    }

    pub fn members(&self, list: &str) -> usize {
        self.state
            .list_members
            .lock()
            .unwrap()
            .get(list)
            .map_or(0, HashSet::len)
    }
}

async fn handle(
    State(state): State<Arc<ApiState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count.fetch_add(1, Ordering::SeqCst);
    let options = state.options.lock().unwrap().clone().unwrap_or_default();
    let path = uri.path().trim_end_matches('/').to_owned();
    if options.record {
        state.requests.lock().unwrap().push(Recorded {
            method: method.clone(),
            path: path.clone(),
            headers: headers.clone(),
            body: body.to_vec(),
        });
    }
    let scripted = state.script.lock().unwrap().pop_front();
    match scripted {
        Some(Scripted::Status(status)) => {
            return error(
                status,
                "error",
                "Scripted failure.",
                "The test asked for it.",
            )
        }
        Some(Scripted::Throttle(seconds)) => return throttle(&state, seconds),
        Some(Scripted::Html(status)) => {
            let status = StatusCode::from_u16(status).unwrap();
            return (
                status,
                [("content-type", "text/html")],
                "<html>blocked</html>",
            )
                .into_response();
        }
        Some(Scripted::Slow(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    // Not Klaviyo: `/echo` quotes the Authorization header back, to prove redaction.
    if path == "/echo" {
        let sent = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        return error(
            400,
            "invalid",
            "Invalid input.",
            &format!("you sent `{sent}`"),
        );
    }
    let expected = format!("Klaviyo-API-Key {}", options.api_key);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return error(
            401,
            "not_authenticated",
            "Authentication credentials were not provided.",
            "Missing or invalid authorization scheme. Please use Klaviyo-API-Key.",
        );
    }
    if let Some(problem) = header_problem(&headers, !body.is_empty()) {
        return error(400, "invalid", "Invalid input.", &problem);
    }
    if let Some((per_second, per_minute)) = options.limit {
        if !admit(&state, per_second, per_minute) {
            return throttle(&state, 1);
        }
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(_) => return error(400, "invalid", "Invalid input.", "Body is not JSON."),
    };
    let result = fake_klaviyo_routes::route(&state, &method, &path, &body);
    match result {
        Ok(response) => response,
        Err(detail) => error(400, "invalid", "Invalid input.", &detail),
    }
}

fn header_problem(headers: &HeaderMap, has_body: bool) -> Option<String> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let revision = text("revision");
    let valid_revision = revision.len() >= 10
        && revision[..10].bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !valid_revision {
        return Some(format!("Invalid or missing revision header `{revision}`."));
    }
    let json_api = |value: &str| value == "application/vnd.api+json" || value == "application/json";
    if !json_api(text("accept")) {
        return Some(format!("Unsupported Accept `{}`.", text("accept")));
    }
    if has_body && !json_api(text("content-type")) {
        return Some(format!(
            "Unsupported Content-Type `{}`.",
            text("content-type")
        ));
    }
    None
}

/// Klaviyo's fixed windows: the epoch second and the epoch minute.
fn admit(state: &ApiState, per_second: u32, per_minute: u32) -> bool {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let ids = [now.as_secs(), now.as_secs() / 60];
    let limits = [per_second, per_minute];
    let mut windows = state.windows.lock().unwrap();
    for (window, id) in windows.iter_mut().zip(ids) {
        if window.0 != id {
            *window = (id, 0);
        }
    }
    if windows
        .iter()
        .zip(limits)
        .any(|(window, limit)| window.1 >= limit)
    {
        return false;
    }
    for window in windows.iter_mut() {
        window.1 += 1;
    }
    true
}

pub(super) fn ok(status: StatusCode, body: Option<Value>) -> Response {
    let headers = [
        ("content-type", "application/vnd.api+json"),
        ("ratelimit-limit", "150"),
        ("ratelimit-remaining", "149"),
        ("ratelimit-reset", "60"),
    ];
    match body {
        Some(body) => (status, headers, body.to_string()).into_response(),
        None => (status, headers).into_response(),
    }
}

fn throttle(state: &ApiState, seconds: u64) -> Response {
    state.throttled.fetch_add(1, Ordering::SeqCst);
    let mut response = error(
        429,
        "throttled",
        "Request was throttled.",
        &format!("Request was throttled. Expected available in {seconds} second."),
    );
    response
        .headers_mut()
        .insert("retry-after", seconds.to_string().parse().unwrap());
    response
}

pub(super) fn error(status: u16, code: &str, title: &str, detail: &str) -> Response {
    let body = json!({"errors": [{"id": uuid::Uuid::new_v4().to_string(), "status": status,
        "code": code, "title": title, "detail": detail, "source": {"pointer": "/data/"},
        "links": {}, "meta": {}}]});
    let status = StatusCode::from_u16(status).unwrap();
    (
        status,
        [("content-type", "application/vnd.api+json")],
        body.to_string(),
    )
        .into_response()
}
