//! Benchmarks of the actions against loopback servers.
//!
//! 1. `klaviyo.add_to_list` for many customers (default 850,000) in batches of 1000,
//!    against the same server driven by a plain reqwest loop with the same concurrency.
//! 2. E-mails over SMTP (default 5,000) through the e-mail action, against the same
//!    receiver's ceiling measured with a raw SMTP client.
//!
//! `cargo bench --bench actions -- [CUSTOMERS] [EMAILS]` (smaller numbers for quick runs).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use minijinja::{context, Value};
use serde_json::json;
use support::fake_klaviyo::{FakeKlaviyo, Options};
use support::smtp_server::SmtpServer;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::task::JoinSet;
use warmup::actions::email::EmailTemplates;
use warmup::actions::{EmailAction, EmailTransport, WebhookAction, WebhookEnv, WebhookItem};
use warmup::project::{AuthSchema, EmailConfig, RateLimit, SecretSource};
use warmup::scenario::model::{EmailNode, WebhookNode};

const KEY: &str = "pk_bench_0123456789abcdef0123456789ab";
/// Requests in flight at once, for the action and the plain loop alike.
const CONCURRENCY: usize = 8;
/// Customers the engine hands the action per call.
const CALL_SIZE: usize = 10_000;
/// Calls the engine keeps open at once.
const CALLS_IN_FLIGHT: usize = 2;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn profile_id(i: usize) -> String {
    format!("01BENCH{i:019}")
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let customers = args.first().copied().unwrap_or(850_000);
    let emails = args.get(1).copied().unwrap_or(5_000);
    println!("| benchmark | value |\n|---|---|");
    add_to_list(customers).await;
    smtp(emails).await;
}

/// One round on a fresh server: (action time, plain loop time, requests of each).
async fn add_to_list_round(customers: usize) -> (Duration, Duration, usize, usize) {
    let server = FakeKlaviyo::start(Options {
        record: false,
        api_key: KEY.into(),
        ..Options::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key"), KEY).unwrap();
    let schema = AuthSchema {
        secret: SecretSource {
            env: None,
            file: Some("key".into()),
        },
        headers: BTreeMap::new(),
        base_url: Some(server.base_url.clone()),
        revision: None,
        rate_limit: Some(RateLimit {
            per_second: None,
            per_minute: None,
            concurrency: Some(CONCURRENCY as u32),
        }),
    };
    let env = WebhookEnv::new(
        BTreeMap::from([("klaviyo".into(), schema)]),
        dir.path().into(),
    )
    .unwrap();
    let node: WebhookNode = serde_json::from_value(json!({
        "preset": "klaviyo.add_to_list", "auth": "klaviyo",
        "with": { "list_id": "{{ params.exclusion_list_id }}" }, "batch": { "size": 1000 },
    }))
    .unwrap();
    let action = WebhookAction::new("exclude", &node, &env).unwrap();

    // The engine hands over customers whose contexts it has built already: build them
    // before the clock starts, so it times the action alone.
    let params = context! { exclusion_list_id => "LACTION" };
    let mut chunks: Vec<Vec<WebhookItem>> = (0..customers)
        .step_by(CALL_SIZE)
        .map(|first| {
            (first..(first + CALL_SIZE).min(customers))
                .map(|i| WebhookItem {
                    key: i.to_string(),
                    context: context! {
                        customer => context! { id => i, klaviyo_id => profile_id(i) },
                        params => params.clone(), day => 1,
                    },
                })
                .collect()
        })
        .collect();
    chunks.reverse();

    let start = Instant::now();
    let mut calls = JoinSet::new();
    let mut done = 0;
    while let Some(items) = chunks.pop() {
        if calls.len() >= CALLS_IN_FLIGHT {
            done += calls.join_next().await.unwrap().unwrap();
        }
        let action = action.clone();
        calls.spawn(async move {
            let outcomes = action.call(items).await;
            if let Some((key, failed)) = outcomes.iter().find(|(_, o)| !o.is_done()) {
                eprintln!("customer {key}: {failed:?}");
            }
            outcomes.iter().filter(|(_, o)| o.is_done()).count()
        });
    }
    while let Some(result) = calls.join_next().await {
        done += result.unwrap();
    }
    let action_time = start.elapsed();
    let action_requests = server.count();
    assert_eq!(done, customers);
    assert_eq!(server.members("LACTION"), customers);

    let start = Instant::now();
    plain_loop(&server.base_url, customers).await;
    let plain_time = start.elapsed();
    assert_eq!(server.members("LPLAIN"), customers);
    let plain_requests = server.count() - action_requests;

    (action_time, plain_time, action_requests, plain_requests)
}

/// Three rounds of the action and the plain loop, alternating, on a shared machine:
/// the medians are compared.
async fn add_to_list(customers: usize) {
    let mut rounds = Vec::new();
    for _ in 0..3 {
        rounds.push(add_to_list_round(customers).await);
    }
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let action_time = median(rounds.iter().map(|r| r.0).collect());
    let plain_time = median(rounds.iter().map(|r| r.1).collect());
    let (_, _, action_requests, plain_requests) = rounds[0];
    let rate = |time: Duration| customers as f64 / time.as_secs_f64();
    let list = |pick: fn(&(Duration, Duration, usize, usize)) -> Duration| {
        let times: Vec<String> = rounds
            .iter()
            .map(|r| format!("{:.2}", pick(r).as_secs_f64()))
            .collect();
        times.join(" / ")
    };
    println!("| add_to_list customers | {customers} |");
    println!(
        "| add_to_list requests per round (action / plain loop) | {action_requests} / {plain_requests} |"
    );
    println!("| add_to_list rounds, action (s) | {} |", list(|r| r.0));
    println!(
        "| add_to_list rounds, plain reqwest loop (s) | {} |",
        list(|r| r.1)
    );
    println!(
        "| add_to_list median, action | {:.2} s ({:.0} customers/s) |",
        action_time.as_secs_f64(),
        rate(action_time)
    );
    println!(
        "| add_to_list median, plain reqwest loop | {:.2} s ({:.0} customers/s) |",
        plain_time.as_secs_f64(),
        rate(plain_time)
    );
    println!(
        "| action throughput / plain loop (medians) | {:.0} % |",
        100.0 * plain_time.as_secs_f64() / action_time.as_secs_f64()
    );
    println!("| peak RSS after add_to_list | {:.0} MiB |", peak_rss_mib());
}

/// The same requests, built and sent by hand: `CONCURRENCY` workers over one client.
async fn plain_loop(base_url: &str, customers: usize) {
    let client = reqwest::Client::new();
    let url = format!("{base_url}/api/lists/LPLAIN/relationships/profiles");
    let batches = customers.div_ceil(1000);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (client, url, next) = (client.clone(), url.clone(), next.clone());
        workers.spawn(async move {
            loop {
                let batch = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if batch >= batches {
                    return;
                }
                let ids: Vec<_> = (batch * 1000..((batch + 1) * 1000).min(customers))
                    .map(|i| json!({ "type": "profile", "id": profile_id(i) }))
                    .collect();
                let response = client
                    .post(&url)
                    .header("Authorization", format!("Klaviyo-API-Key {KEY}"))
                    .header("revision", "2026-07-15")
                    .header("Accept", "application/vnd.api+json")
                    .header("Content-Type", "application/vnd.api+json")
                    .body(serde_json::to_vec(&json!({ "data": ids })).unwrap())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 204);
            }
        });
    }
    while workers.join_next().await.is_some() {}
}

async fn smtp(emails: usize) {
    let server = SmtpServer::start().await;
    server
        .state
        .keep
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates/bench");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("subject.txt"),
        "Hello {{ customer.first_name }}, day {{ day }}",
    )
    .unwrap();
    std::fs::write(templates.join("body.html"), "<p>Hi {{ customer.first_name | e }}</p>\n<p>News.</p>\n<a href=\"{{ unsubscribe_url }}\">Unsubscribe</a>").unwrap();
    std::fs::write(
        templates.join("body.txt"),
        "Hi {{ customer.first_name }}\nNews.\nUnsubscribe: {{ unsubscribe_url }}",
    )
    .unwrap();
    std::fs::write(dir.path().join("signing.key"), "bench-signing-key").unwrap();
    let config: EmailConfig = serde_json::from_value(json!({
        "transport": { "kind": "smtp", "host": "127.0.0.1", "port": server.port, "tls": "none" },
        "from": "Brand <news@brand.example>",
        "unsubscribe": { "base_url": "https://mail.brand.example", "mailto": "unsubscribe@brand.example",
            "signing_key": { "file": "signing.key" }, "category": "newsletter" },
    }))
    .unwrap();
    let node: EmailNode = serde_json::from_value(json!({ "template": "bench" })).unwrap();
    let templates = Arc::new(EmailTemplates::new(dir.path().join("templates")));
    let action = |in_flight: usize| {
        let limit = RateLimit {
            per_second: None,
            per_minute: None,
            concurrency: Some(in_flight as u32),
        };
        let transport = EmailTransport::from_config(&config.transport, Some(limit), dir.path());
        let transport = Arc::new(transport.unwrap());
        let action = EmailAction::new(
            "mail",
            &node,
            &config,
            dir.path(),
            templates.clone(),
            transport,
        );
        Arc::new(action.unwrap())
    };
    let rate = |time: Duration| emails as f64 / time.as_secs_f64();

    let sample = std::fs::read(dir.path().join("templates/bench/body.html")).unwrap();
    let size = 2 * sample.len() + 1500;
    let mut times = Vec::new();
    for in_flight in [CONCURRENCY, 64] {
        times.push((
            in_flight,
            send_all(action(in_flight), emails, in_flight).await,
        ));
    }
    // The machine is shared: measure the ceiling twice and keep the better one.
    let mut raw_time = Duration::MAX;
    for _ in 0..2 {
        let start = Instant::now();
        assert_eq!(raw_ceiling(server.port, emails, size).await, emails);
        raw_time = raw_time.min(start.elapsed());
    }
    println!("| e-mails over SMTP, each run | {emails} |");
    println!(
        "| receiver ceiling ({CONCURRENCY} raw SMTP connections, best of 2) | {:.0} e-mails/s |",
        rate(raw_time)
    );
    for (in_flight, time) in times {
        println!(
            "| e-mail action, {in_flight} connections | {:.0} e-mails/s ({:.0} % of the ceiling) |",
            rate(time),
            100.0 * raw_time.as_secs_f64() / time.as_secs_f64()
        );
    }
    assert_eq!(server.accepted(), 4 * emails);
    println!("| peak RSS at the end | {:.0} MiB |", peak_rss_mib());
}

/// Sends `emails` messages through `action` from `in_flight` tasks; returns the wall time.
async fn send_all(action: Arc<EmailAction>, emails: usize, in_flight: usize) -> Duration {
    let start = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut senders = JoinSet::new();
    for _ in 0..in_flight {
        let (action, next) = (action.clone(), next.clone());
        senders.spawn(async move {
            let mut delivered = 0;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= emails {
                    return delivered;
                }
                let customer: Value = context! {
                    customer => context! { id => i, email => format!("user{i}@example.com"), first_name => "Ann" },
                    day => 1,
                };
                delivered += usize::from(action.send(&i.to_string(), &customer).await.is_delivered());
            }
        });
    }
    let mut delivered = 0;
    while let Some(count) = senders.join_next().await {
        delivered += count.unwrap();
    }
    assert_eq!(delivered, emails);
    start.elapsed()
}

/// The receiver's ceiling: `CONCURRENCY` raw connections sending a prebuilt message of
/// `size` bytes as fast as the replies come, with the envelope commands pipelined.
async fn raw_ceiling(port: u16, emails: usize, size: usize) -> usize {
    let body = format!(
        "From: news@brand.example\r\nTo: user@example.com\r\nSubject: raw\r\n\r\n{}\r\n.\r\n",
        "x".repeat(76)
            .repeat(size / 76 + 1)
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\r\n")
    );
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (next, body) = (next.clone(), body.clone());
        workers.spawn(async move {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            stream.set_nodelay(true).unwrap();
            let (read, mut write) = stream.into_split();
            let mut replies = BufReader::new(read);
            read_reply(&mut replies).await;
            write.write_all(b"EHLO bench\r\n").await.unwrap();
            read_reply(&mut replies).await;
            let mut sent = 0;
            while next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < emails {
                // Pipelined (RFC 2920): the three commands in one write, then their replies.
                let envelope =
                    "MAIL FROM:<news@brand.example>\r\nRCPT TO:<user@example.com>\r\nDATA\r\n";
                write.write_all(envelope.as_bytes()).await.unwrap();
                assert!(read_reply(&mut replies).await.starts_with("250"));
                assert!(read_reply(&mut replies).await.starts_with("250"));
                assert!(read_reply(&mut replies).await.starts_with("354"));
                // One write: a second small one would wait for the delayed ACK.
                write.write_all(body.as_bytes()).await.unwrap();
                assert!(read_reply(&mut replies).await.starts_with("250"));
                sent += 1;
            }
            write.write_all(b"QUIT\r\n").await.unwrap();
            sent
        });
    }
    let mut sent = 0;
    while let Some(count) = workers.join_next().await {
        sent += count.unwrap();
    }
    sent
}

/// Reads one (possibly multi-line) SMTP reply; returns its last line.
async fn read_reply<R: AsyncBufReadExt + Unpin>(replies: &mut R) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        replies.read_line(&mut line).await.unwrap();
        if line.as_bytes().get(3) != Some(&b'-') {
            return line;
        }
    }
}
