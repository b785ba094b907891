//! Ingest load: the real `warmup serve` binary in its own process, driven over loopback by
//! this process as a concurrent HTTP client.
//!
//! ```text
//! cargo bench --bench ingest_load                       # default scale
//! cargo bench --bench ingest_load -- 20000 100 32       # requests, events per request, concurrency
//! WARMUP_BENCH_INGEST_REQUESTS=2000 cargo bench --bench ingest_load   # quick run
//! ```
//!
//! Two phases run against one server: single events (one event per request, the latency
//! a tracking pixel or webhook source sees) and batches. Each prints throughput, p50/p99
//! latency, requests per store flush (group commit at work) and peak RSS of both processes.
//! After the run the server is stopped, the store is reopened, and the number of events in
//! it must equal the number the server acknowledged.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use warmup::store::Store;

const TOKEN: &str = "bench-ingest-token";
/// Distinct customers the events are spread over.
const CUSTOMERS: u64 = 50_000;

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let requests = args
        .first()
        .copied()
        .unwrap_or_else(|| env("WARMUP_BENCH_INGEST_REQUESTS", 10_000));
    let batch = args.get(1).copied().unwrap_or(100);
    let concurrency = args.get(2).copied().unwrap_or(32);

    let server = Server::start();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let acknowledged = AtomicU64::new(0);
    let next_id = Arc::new(AtomicU64::new(0));
    println!(
        "| phase | requests | events | concurrency | wall | events/s | requests/s | p50 | p99 | requests per flush |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (phase, per_request, count) in [("single", 1, requests), ("batch", batch, requests / 10)] {
        let flushes_before = runtime.block_on(server.flushes());
        let report = runtime.block_on(drive(
            &server.base,
            count,
            per_request,
            concurrency,
            &next_id,
        ));
        let flushes = runtime.block_on(server.flushes()) - flushes_before;
        acknowledged.fetch_add(report.events, Ordering::Relaxed);
        println!(
            "| {phase} ({per_request}/request) | {} | {} | {concurrency} | {:.2} s | {:.0} | {:.0} | {:.2} ms | {:.2} ms | {:.1} |",
            report.requests,
            report.events,
            report.wall.as_secs_f64(),
            report.events as f64 / report.wall.as_secs_f64(),
            report.requests as f64 / report.wall.as_secs_f64(),
            report.percentile(0.50),
            report.percentile(0.99),
            report.requests as f64 / flushes.max(1) as f64,
        );
    }
    let server_rss = server.peak_rss_mib();
    let dir = server.stop();
    let store = Store::open(&dir.path().join("store")).expect("reopen store");
    let stored = store.events_since(0).count() as u64;
    let acknowledged = acknowledged.load(Ordering::Relaxed);
    println!();
    println!("acknowledged events: {acknowledged}; events in the store after shutdown: {stored}");
    println!(
        "peak RSS: server {server_rss:.0} MiB, load client {:.0} MiB",
        peak_rss_mib("self")
    );
    assert_eq!(
        stored, acknowledged,
        "the store must hold every acknowledged event"
    );
}

/// Latencies and totals of one phase.
struct Report {
    requests: u64,
    events: u64,
    wall: Duration,
    latencies_ms: Vec<f64>,
}

impl Report {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies_ms.len() - 1) as f64 * p).round() as usize;
        self.latencies_ms[index]
    }
}

/// Sends `count` requests of `per_request` events with `concurrency` workers.
async fn drive(
    base: &str,
    count: u64,
    per_request: u64,
    concurrency: u64,
    next_id: &Arc<AtomicU64>,
) -> Report {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency as usize)
        .build()
        .expect("client");
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, issued, next_id) = (client.clone(), Arc::clone(&issued), Arc::clone(next_id));
        let url = format!("{base}/v1/events");
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut events = 0;
            while issued.fetch_add(1, Ordering::Relaxed) < count {
                let body = body(
                    next_id.fetch_add(per_request, Ordering::Relaxed),
                    per_request,
                );
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 200, "{:?}", response.text().await);
                let ack: serde_json::Value = response.json().await.expect("ack");
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                events += ack["accepted"].as_u64().expect("accepted");
            }
            (latencies, events)
        }));
    }
    let mut latencies_ms = Vec::new();
    let mut events = 0;
    for worker in workers {
        let (latencies, count) = worker.await.expect("worker");
        latencies_ms.extend(latencies);
        events += count;
    }
    let wall = started.elapsed();
    latencies_ms.sort_by(f64::total_cmp);
    Report {
        requests: latencies_ms.len() as u64,
        events,
        wall,
        latencies_ms,
    }
}

/// A request body: one event, or a batch of `n`, for customers spread over [`CUSTOMERS`].
fn body(first: u64, n: u64) -> String {
    let event = |id: u64| {
        json!({
            "email": format!("customer{}@example.com", id % CUSTOMERS),
            "type": "page_view",
            "timestamp": "2026-11-28T12:00:00Z",
            "properties": {"url": format!("/products/{}", id % 977), "seq": id},
        })
    };
    if n == 1 {
        event(first).to_string()
    } else {
        json!({"events": (first..first + n).map(event).collect::<Vec<_>>()}).to_string()
    }
}

/// The `warmup serve` child process.
struct Server {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let project = dir.path().join("warmup.yaml");
        std::fs::create_dir(dir.path().join("scenarios")).expect("scenarios folder");
        std::fs::write(
            &project,
            "timezone: UTC\nstore: store\nserver:\n  bind: 127.0.0.1:0\n  tokens:\n    - { env: BENCH_INGEST_TOKEN }\n",
        )
        .expect("project");
        let mut child = Command::new(env!("CARGO_BIN_EXE_warmup"))
            .arg("--project")
            .arg(&project)
            .arg("serve")
            .env("BENCH_INGEST_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start warmup serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("address line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .expect("listening line")
            .to_owned();
        Self { child, base, dir }
    }

    /// `warmup_store_flushes_total` from the server's `/metrics`.
    async fn flushes(&self) -> u64 {
        let text = reqwest::get(format!("{}/metrics", self.base))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics body");
        text.lines()
            .find_map(|line| line.strip_prefix("warmup_store_flushes_total "))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0)
    }

    fn peak_rss_mib(&self) -> f64 {
        peak_rss_mib(&self.child.id().to_string())
    }

    /// SIGTERM, then wait for a clean exit; returns the folder holding the store.
    fn stop(mut self) -> tempfile::TempDir {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -TERM failed");
        let exit = self.child.wait().expect("wait");
        assert!(exit.success(), "warmup serve exited with {exit}");
        self.dir
    }
}

/// Peak resident set size of a process (`self` or a pid) in MiB, from /proc.
fn peak_rss_mib(process: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}
