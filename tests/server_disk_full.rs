//! A full disk under a running `warmup serve`, on a small tmpfs: writes answer 500 (logged,
//! without the token), `/healthz` answers 503 with the reason, and once space is back the
//! server accepts writes again without a restart; nothing acknowledged is lost. The
//! unsubscribe page shows a generic message, never the store's error.
//!
//! Mounting a tmpfs needs root (or a user namespace); where that is refused the tests say
//! so and pass without running.

mod server_support;

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use warmup::actions::unsubscribe_token;
use warmup::project::Secret;
use warmup::server::{self, ServerState};
use warmup::store::{CustomerRecord, Store};

const TOKEN: &str = "disk-full-token-3f9a";

/// A tmpfs of `megabytes`, unmounted on drop.
struct SmallDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !mounted {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Self { path, _dir: dir })
    }

    /// Fills the disk with a file until the kernel refuses more.
    fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let mut file = File::create(&filler).unwrap();
        let chunk = vec![7u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

struct Served {
    child: Child,
    base: String,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(store: &Path) -> Served {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        format!(
            "timezone: Europe/Prague\nstore: {}\nserver:\n  bind: 127.0.0.1:0\n  tokens:\n    - {{ env: DISK_FULL_TOKEN }}\n",
            store.display()
        ),
    )
    .unwrap();
    let stderr = dir.path().join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_warmup"))
        .arg("--project")
        .arg(dir.path().join("warmup.yaml"))
        .arg("serve")
        .env("DISK_FULL_TOKEN", TOKEN)
        .env("WARMUP_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Served {
        child,
        base,
        stderr,
        _dir: dir,
    }
}

/// One batch of events with bulky properties, so that it needs real disk space.
fn batch(tag: &str, size: usize) -> serde_json::Value {
    let padding = "x".repeat(2_000);
    let events: Vec<_> = (0..size)
        .map(|i| json!({"email": format!("{tag}{i}@example.com"), "type": "purchase", "properties": {"pad": padding}}))
        .collect();
    json!({ "events": events })
}

/// POSTs a batch: the status (0 when the connection was closed under the request, which
/// happens while the server switches stores) and how many events were acknowledged.
async fn post(client: &reqwest::Client, served: &Served, body: &serde_json::Value) -> (u16, u64) {
    let Ok(response) = client
        .post(format!("{}/v1/events", served.base))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
    else {
        return (0, 0);
    };
    let status = response.status().as_u16();
    let value: serde_json::Value = response.json().await.unwrap_or_default();
    (status, value["accepted"].as_u64().unwrap_or(0))
}

/// `/healthz`: status and body, or 0 and the error when the connection was closed under
/// the request.
async fn health(client: &reqwest::Client, served: &Served) -> (u16, String) {
    match client.get(format!("{}/healthz", served.base)).send().await {
        Ok(response) => (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        ),
        Err(error) => (0, error.to_string()),
    }
}

/// Polls `/healthz` until it answers `status`, for at most `limit`; returns the body.
async fn health_becomes(
    client: &reqwest::Client,
    served: &Served,
    status: u16,
    limit: Duration,
) -> String {
    let started = Instant::now();
    loop {
        let (answered, body) = health(client, served).await;
        if answered == status {
            return body;
        }
        assert!(
            started.elapsed() < limit,
            "/healthz did not answer {status} within {limit:?}; last: {answered} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_full_disk_the_server_recovers_without_a_restart() {
    let Some(disk) = SmallDisk::mount(24) else {
        return;
    };
    let mut served = serve(&disk.path.join("store"));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut acknowledged = 0;
    let (status, accepted) = post(&client, &served, &batch("before", 100)).await;
    assert_eq!(status, 200);
    acknowledged += accepted;
    assert_eq!(health(&client, &served).await.0, 200);

    let filler = disk.fill();
    let mut failed = false;
    for attempt in 0..40 {
        let (status, accepted) =
            post(&client, &served, &batch(&format!("full{attempt}-"), 200)).await;
        match status {
            200 => acknowledged += accepted,
            0 | 500 | 503 => {
                failed = true;
                break;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(failed, "writes never failed on a full disk");
    // While the disk is full, health says so (and why) instead of "ok".
    for _ in 0..5 {
        let body = health_becomes(&client, &served, 503, Duration::from_secs(10)).await;
        assert!(body.contains("store"), "{body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    std::fs::remove_file(&filler).unwrap();
    health_becomes(&client, &served, 200, Duration::from_secs(40)).await;
    let (status, accepted) = post(&client, &served, &batch("after", 100)).await;
    assert_eq!(status, 200, "writes fail after space returned");
    acknowledged += accepted;

    let pid = libc::pid_t::try_from(served.child.id()).unwrap();
    // SAFETY: signals the child this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert!(served.child.wait().unwrap().success());
    let log = std::fs::read_to_string(&served.stderr).unwrap();
    assert!(log.contains("ERROR"), "the failure was not logged:\n{log}");
    assert!(!log.contains(TOKEN), "the token leaked into the log");

    let store = Store::open(&disk.path.join("store")).unwrap();
    let stored = store.events_since(0).count() as u64;
    assert!(
        stored >= acknowledged,
        "{stored} events stored, {acknowledged} acknowledged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unsubscribe_page_never_shows_a_store_error() {
    let Some(disk) = SmallDisk::mount(16) else {
        return;
    };
    let store = Arc::new(Store::open(&disk.path.join("store")).unwrap());
    let record = CustomerRecord {
        email: Some("ada@example.com".into()),
        ..CustomerRecord::default()
    };
    let id = store.upsert(&record).unwrap().customer();
    store.flush().unwrap();
    let key = Secret::new(server_support::SIGNING_KEY);
    let state = ServerState::builder(Arc::clone(&store))
        .unsubscribe(key.clone(), "newsletter")
        .build();
    let listener = server::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let handle = tokio::spawn(server::serve_listener(state, listener, shutdown.clone()));

    let filler = disk.fill();
    // Bulky writes until a flush fails: from then on the store refuses writes.
    let padding = "x".repeat(4_000);
    let mut flushed = true;
    for i in 0..2_000 {
        let record = CustomerRecord {
            email: Some(format!("filler{i}@example.com")),
            properties: [("pad".to_owned(), json!(padding))].into_iter().collect(),
            ..CustomerRecord::default()
        };
        if store.upsert(&record).is_err() || (i % 50 == 49 && store.flush().is_err()) {
            flushed = false;
            break;
        }
    }
    assert!(!flushed, "the store never failed on a full disk");
    let token = unsubscribe_token::sign(&key, &id.to_string(), "newsletter");
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/unsubscribe/{token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let html = response.text().await.unwrap();
    assert!(html.contains("a problem on our side"), "{html}");
    for raw in [
        "No space",
        "os error",
        "store `",
        disk.path.to_str().unwrap(),
    ] {
        assert!(!html.contains(raw), "the page shows `{raw}`:\n{html}");
    }
    shutdown.cancel();
    handle.await.unwrap().unwrap();
    std::fs::remove_file(filler).unwrap();
}
