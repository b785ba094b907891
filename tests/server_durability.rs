//! The real binary (`warmup serve`) in its own process: everything it acknowledged is in
//! the store after it is killed with SIGKILL right after the last answer, and SIGTERM
//! shuts it down cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;
use warmup::store::Store;

const TOKEN: &str = "durability-token";

struct Served {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
}

/// Starts `warmup serve` on a free port in a fresh project and waits for its address.
fn serve() -> Served {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        "timezone: Europe/Prague\nstore: store\nserver:\n  bind: 127.0.0.1:0\n  tokens:\n    - { env: DURABILITY_TOKEN }\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_warmup"))
        .arg("--project")
        .arg(dir.path().join("warmup.yaml"))
        .arg("serve")
        .env("DURABILITY_TOKEN", TOKEN)
        .stdout(Stdio::piped())
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
    Served { child, base, dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_sigkill() {
    let mut served = serve();
    let client = reqwest::Client::new();
    let mut requests = Vec::new();
    for batch in 0..20 {
        let events: Vec<_> = (0..50)
            .map(|i| json!({"email": format!("c{}@example.com", batch * 50 + i), "type": "purchase", "properties": {"batch": batch, "i": i}}))
            .collect();
        let request = client
            .post(format!("{}/v1/events", served.base))
            .bearer_auth(TOKEN)
            .json(&json!({"events": events}))
            .send();
        requests.push(tokio::spawn(request));
    }
    let mut acknowledged = 0;
    for request in requests {
        let response = request.await.unwrap().unwrap();
        assert_eq!(response.status(), 200);
        let ack: serde_json::Value = response.json().await.unwrap();
        acknowledged += ack["accepted"].as_u64().unwrap();
    }
    // No grace: the process dies with whatever sled had not written.
    served.child.kill().unwrap();
    served.child.wait().unwrap();

    let store = Store::open(&served.dir.path().join("store")).unwrap();
    assert_eq!(acknowledged, 1000);
    assert_eq!(store.events_since(0).count() as u64, acknowledged);
    assert_eq!(store.count(), 1000);
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut served = serve();
    let pid = served.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let exit = served.child.wait().unwrap();
    assert!(exit.success(), "exit status {exit}");
    // The store lock was released: it opens again.
    Store::open(&served.dir.path().join("store")).unwrap();
}

#[test]
fn a_missing_token_variable_is_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        "timezone: Europe/Prague\nstore: store\nserver:\n  tokens:\n    - { env: WARMUP_TEST_UNSET_TOKEN }\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_warmup"))
        .arg("--project")
        .arg(dir.path().join("warmup.yaml"))
        .arg("serve")
        .env_remove("WARMUP_TEST_UNSET_TOKEN")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "error: cannot read server.tokens[0]: environment variable `WARMUP_TEST_UNSET_TOKEN` is not set"
    );
}
