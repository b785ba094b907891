//! A damaged store gets a clear error and exit 1 in bounded time, never a hang or a panic,
//! through the real binary: bytes of sled's log flipped across the whole file, the log, the
//! config and the snapshot cut short or flipped, then `warmup customers count`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CUSTOMERS: usize = 3000;

fn warmup(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warmup"));
    command
        .current_dir(dir)
        .env_remove("WARMUP_CRASH_AT")
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A project whose store (`store/`) holds [`CUSTOMERS`] imported customers.
fn pristine() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        "timezone: Europe/Prague\nstore: store\n",
    )
    .unwrap();
    let mut csv = String::from("Email,Klaviyo ID,First Name\n");
    for i in 0..CUSTOMERS {
        csv.push_str(&format!("user{i}@example.com,K{i:06},Name{i}\n"));
    }
    std::fs::write(dir.path().join("c.csv"), csv).unwrap();
    let out = warmup(dir.path())
        .args(["import", "customers", "c.csv"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The first open after the import writes a snapshot.
    assert_eq!(count(dir.path(), "pristine"), Outcome::Counted);
    dir
}

fn copy_project(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    std::fs::copy(from.join("warmup.yaml"), to.path().join("warmup.yaml")).unwrap();
    std::fs::create_dir_all(to.path().join("store/blobs")).unwrap();
    for entry in std::fs::read_dir(from.join("store")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(
                &path,
                to.path().join("store").join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    to
}

/// How `customers count` ended.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Exit 0 with the right count (the damage is in data the count does not read).
    Counted,
    /// Exit 1 naming the store as damaged or unopenable.
    Refused(String),
}

/// Runs `customers count`; fails the test on a hang, a panic or an unclear error.
fn count(dir: &Path, case: &str) -> Outcome {
    let mut child = warmup(dir).args(["customers", "count"]).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("{case}: `customers count` hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    match out.status.code() {
        Some(0) => {
            assert_eq!(stdout, CUSTOMERS.to_string(), "{case}: a wrong count");
            Outcome::Counted
        }
        Some(1) => {
            assert!(
                stderr.contains("store `./store`") && !stderr.contains("panicked"),
                "{case}: unclear error: {stderr}"
            );
            Outcome::Refused(stderr)
        }
        other => panic!("{case}: exit {other:?}: {stderr}"),
    }
}

fn flip(path: &Path, at: u64) {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut bytes = [0u8; 16];
    file.seek(SeekFrom::Start(at)).unwrap();
    let read = file.read(&mut bytes).unwrap();
    for byte in &mut bytes[..read] {
        *byte ^= 0xFF;
    }
    file.seek(SeekFrom::Start(at)).unwrap();
    file.write_all(&bytes[..read]).unwrap();
}

fn truncate(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

fn snapshot(store: &Path) -> PathBuf {
    std::fs::read_dir(store)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("snap.")
        })
        .unwrap_or_else(|| {
            panic!(
                "no snapshot in {}: {:?}",
                store.display(),
                std::fs::read_dir(store)
                    .unwrap()
                    .map(|e| e.unwrap().file_name())
                    .collect::<Vec<_>>()
            )
        })
}

#[test]
fn every_damage_ends_in_a_count_or_a_clear_error() {
    let pristine = pristine();
    let db_len = std::fs::metadata(pristine.path().join("store/db"))
        .unwrap()
        .len();
    let snap_len = std::fs::metadata(snapshot(&pristine.path().join("store")))
        .unwrap()
        .len();
    type Damage = Box<dyn Fn(&Path)>;
    let mut cases: Vec<(String, Damage)> = Vec::new();
    // Every percent: where sled puts the customers' pages varies from run to run, and the
    // last assertion needs some flips to land on them.
    for percent in 0..100 {
        let at = db_len * percent / 100;
        cases.push((
            format!("db flipped at {percent} %"),
            Box::new(move |s| flip(&s.join("db"), at)),
        ));
    }
    for percent in [0, 1, 30, 90] {
        let len = db_len * percent / 100;
        cases.push((
            format!("db cut at {percent} %"),
            Box::new(move |s| truncate(&s.join("db"), len)),
        ));
    }
    cases.push((
        "conf cut short".into(),
        Box::new(|s| truncate(&s.join("conf"), 10)),
    ));
    cases.push((
        "conf flipped".into(),
        Box::new(|s| flip(&s.join("conf"), 5)),
    ));
    cases.push((
        "snapshot emptied".into(),
        Box::new(|s| truncate(&snapshot(s), 0)),
    ));
    cases.push((
        "snapshot flipped".into(),
        Box::new(move |s| flip(&snapshot(s), snap_len / 2)),
    ));
    let mut damaged_pages = 0;
    for (case, damage) in &cases {
        let dir = copy_project(pristine.path());
        damage(&dir.path().join("store"));
        if let Outcome::Refused(error) = count(dir.path(), case) {
            damaged_pages += usize::from(error.contains("is damaged: unreadable data at"));
        }
    }
    // Some flips hit the customers' pages, which the count walks: those used to hang.
    assert!(damaged_pages > 0, "no flip hit data the count reads");
}
