//! `/metrics` stays small whatever clients send: 1,000 requests with invented (some 60 KB)
//! method names and random paths add no label values outside the known sets.

mod server_support;

use std::collections::BTreeSet;

use prometheus_parse::Scrape;
use rand::{Rng, SeedableRng};
use server_support::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KNOWN_METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "other",
];

const KNOWN_ROUTES: [&str; 7] = [
    "/v1/customers",
    "/v1/events",
    "/status",
    "/unsubscribe/:token",
    "/healthz",
    "/metrics",
    "unmatched",
];

/// A method name made of token characters (RFC 9110 `tchar`), sometimes huge.
fn random_method(rng: &mut impl Rng, index: usize) -> String {
    const TCHAR: &[u8] =
        b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let len = if index.is_multiple_of(20) {
        60_000
    } else {
        rng.random_range(1..64)
    };
    (0..len)
        .map(|_| TCHAR[rng.random_range(0..TCHAR.len())] as char)
        .collect()
}

fn random_path(rng: &mut impl Rng) -> String {
    let segments = rng.random_range(1..5);
    let mut path = String::new();
    for _ in 0..segments {
        let len = rng.random_range(1..24);
        path.push('/');
        path.extend((0..len).map(|_| char::from(rng.random_range(b'a'..=b'z'))));
    }
    match rng.random_range(0..4) {
        0 => format!("/unsubscribe{path}"),
        1 => format!("/v1{path}"),
        _ => path,
    }
}

/// Sends one raw HTTP/1.1 request and reads the answer to the end.
async fn raw_request(server: &TestServer, method: &str, path: &str) {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let request = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    // The server may answer and close before a huge request is written: that is fine.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invented_methods_and_paths_do_not_grow_the_metrics() {
    let server = TestServer::start().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(145);
    for index in 0..1_000 {
        let method = random_method(&mut rng, index);
        let path = random_path(&mut rng);
        raw_request(&server, &method, &path).await;
    }
    // Real methods on real routes too, so the known values do appear.
    for path in ["/healthz", "/v1/events", "/unsubscribe/abc", "/nowhere"] {
        raw_request(&server, "GET", path).await;
        raw_request(&server, "DELETE", path).await;
    }

    let text = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.len() < 32 * 1024,
        "/metrics grew to {} bytes:\n{}",
        text.len(),
        &text[..text.len().min(2_000)]
    );
    let scrape = Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).unwrap();
    let requests: Vec<_> = scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == "warmup_http_requests_total")
        .collect();
    assert!(!requests.is_empty(), "no request counter in:\n{text}");
    let mut methods = BTreeSet::new();
    for sample in &requests {
        let method = sample.labels.get("method").expect("method label");
        let route = sample.labels.get("route").expect("route label");
        let status = sample.labels.get("status").expect("status label");
        assert!(KNOWN_METHODS.contains(&method), "method label {method:?}");
        assert!(KNOWN_ROUTES.contains(&route), "route label {route:?}");
        assert!(
            status.parse::<u16>().is_ok_and(|s| (100..600).contains(&s)),
            "status label {status:?}"
        );
        methods.insert(method.to_owned());
    }
    assert!(methods.contains("other"), "{methods:?}");
    assert!(
        methods.contains("GET") && methods.contains("DELETE"),
        "{methods:?}"
    );
}
