//! `warmup run` syncs with Klaviyo on the project's schedule: at start-up, then every interval.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use warmup::klaviyo::fake::{FakeConfig, FakeKlaviyo, RateLimits, DEFAULT_FAKE_KEY};

fn write_project(dir: &Path, base_url: &str) {
    let project = format!(
        "timezone: Europe/Prague\nconsent_categories:\n  newsletter: {{}}\nklaviyo:\n  api_key: {{ env: TEST_KLAVIYO_KEY }}\n  base_url: {base_url}\n  lists:\n    Y6nRLr: newsletter\n  sync: {{ profiles: 1m, events: 1m, reconcile: 1m }}\n"
    );
    std::fs::write(dir.join("warmup.yaml"), project).unwrap();
    std::fs::create_dir(dir.join("scenarios")).unwrap();
    let scenario = "name: rejects\nnodes:\n  \"296\": { kind: on_event, event: consent, where: { action: reject } }\n";
    std::fs::write(dir.join("scenarios/rejects.yaml"), scenario).unwrap();
}

fn warmup(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("warmup").unwrap();
    command
        .current_dir(dir)
        .env("TEST_KLAVIYO_KEY", DEFAULT_FAKE_KEY);
    command
}

#[test]
fn run_syncs_at_start_up_and_stops_cleanly() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(120)
    };
    let fake = runtime.block_on(FakeKlaviyo::start(config)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), &fake.base_url());

    let mut child = warmup(dir.path())
        .arg("run")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Lines are read on a thread, so a run that never syncs fails the test instead of hanging it.
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut synced = None;
    while let Ok(line) = received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if line.starts_with("Klaviyo sync:") {
            synced = Some(line);
            break;
        }
    }
    if synced.is_none() {
        child.kill().unwrap();
    }
    let synced = synced.expect("run printed a sync summary");
    assert!(synced.contains("profiles: 120 created"), "{synced}");
    assert!(fake.state().request_count("GET /api/profiles") > 0);

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert!(status.success(), "run exits cleanly on SIGTERM: {status}");

    let count = warmup(dir.path())
        .args(["customers", "count"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "120");
}

#[test]
fn no_sync_leaves_klaviyo_alone() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime
        .block_on(FakeKlaviyo::start(FakeConfig::with_profiles(5)))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), &fake.base_url());
    let output = warmup(dir.path())
        .args(["run", "--no-sync", "--until", "2000-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(fake.state().request_count("GET /api/profiles"), 0);
}
