//! Slow and idle clients against the real binary (`warmup serve`): with more of them
//! connected than the process has file descriptors, health, ingest and unsubscribe still
//! answer; SIGTERM with a client stuck mid-upload exits within `server.shutdown_timeout`;
//! a stalled body gets 408.

mod server_support;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use server_support::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use warmup::server::Limits;

const TOKEN: &str = "limits-token";

struct Served {
    child: Child,
    base: String,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `warmup serve` with `server_settings` added to the `server` section and at most
/// `open_files` file descriptors.
fn serve(server_settings: &str, open_files: u64) -> Served {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        format!("timezone: Europe/Prague\nstore: store\nserver:\n  bind: 127.0.0.1:0\n  tokens:\n    - {{ env: LIMITS_TOKEN }}\n{server_settings}"),
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_warmup"));
    command
        .arg("--project")
        .arg(dir.path().join("warmup.yaml"))
        .arg("serve")
        .env("LIMITS_TOKEN", TOKEN)
        .stdout(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only the child being started.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: open_files,
                rlim_max: open_files,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let addr = base.trim_start_matches("http://").to_owned();
    Served {
        child,
        base,
        addr,
        _dir: dir,
    }
}

/// A client that connects and then stalls: silent, or half-way through its headers.
async fn slow_client(addr: &str, kind: usize) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let start = match kind % 2 {
        0 => "",
        _ => "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Ty",
    };
    let _ = stream.write_all(start.as_bytes()).await;
    Some(stream)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ingest_and_unsubscribe_answer_with_more_slow_clients_than_descriptors() {
    let served = serve(
        "  max_connections: 64\n  header_read_timeout: 1s\n  body_read_timeout: 1s\n",
        200,
    );
    // More stalled connections than the server process has descriptors.
    let mut stalled = Vec::new();
    for kind in 0..250 {
        stalled.extend(slow_client(&served.addr, kind).await);
    }
    assert!(stalled.len() >= 200, "only {} connections", stalled.len());

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let started = Instant::now();
    let health = client
        .get(format!("{}/healthz", served.base))
        .send()
        .await
        .expect("/healthz answers");
    assert_eq!(health.status(), 200);
    let ingest = client
        .post(format!("{}/v1/events", served.base))
        .bearer_auth(TOKEN)
        .json(&json!({"email": "ada@example.com", "type": "purchase"}))
        .send()
        .await
        .expect("/v1/events answers");
    assert_eq!(ingest.status(), 200);
    let unsubscribe = client
        .get(format!("{}/unsubscribe/not-a-token", served.base))
        .send()
        .await
        .expect("/unsubscribe answers");
    // No `email` section: links are not enabled, which the page says.
    assert_eq!(unsubscribe.status(), 404);
    let waited = started.elapsed();
    // 250 stalled clients, 64 at a time, each dropped after 1 s: a few seconds at most.
    assert!(
        waited < Duration::from_secs(12),
        "answered after {waited:?}"
    );
    drop(stalled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_client_stuck_mid_upload_exits_within_the_shutdown_timeout() {
    let mut served = serve("  shutdown_timeout: 1s\n  body_read_timeout: 30s\n", 1024);
    let mut stream = TcpStream::connect(&served.addr).await.unwrap();
    stream
        .write_all(
            format!("POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    // A byte every 200 ms: never idle long enough for the body timeout.
    let trickle = tokio::spawn(async move {
        for _ in 0..500 {
            if stream.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;

    let pid = libc::pid_t::try_from(served.child.id()).unwrap();
    // SAFETY: signals the child this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "still running {:?} after SIGTERM",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
    trickle.abort();
}

#[tokio::test]
async fn a_stalled_body_gets_408_and_an_idle_connection_is_closed() {
    let limits = Limits {
        header_read_timeout: Duration::from_millis(500),
        body_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = TestServer::start_with(|builder| builder.limits(limits)).await;

    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"email\"",
        server_support::TOKEN
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("server.body_read_timeout"), "{answer}");

    // A connection that never sends a request is closed after the header timeout.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    let mut nothing = Vec::new();
    // End of stream or a reset both mean closed; only the timeout fails the test.
    let _closed_or_reset =
        tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut nothing))
            .await
            .expect("the idle connection is closed");
    assert!(nothing.is_empty());
    assert_eq!(server.store().next_event_seq(), 0);
}

#[test]
fn a_bad_timeout_stops_serve_and_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        "timezone: Europe/Prague\nstore: store\nserver:\n  bind: 127.0.0.1:0\n  tokens:\n    - { env: LIMITS_TOKEN }\n  request_timeout: soon\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_warmup"))
        .arg("--project")
        .arg(dir.path().join("warmup.yaml"))
        .arg("serve")
        .env("LIMITS_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`server.request_timeout`"), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("listening on"));
}
