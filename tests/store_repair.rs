//! A store whose snapshot write was interrupted (a full disk while it opened) opens again
//! once space returns, through the real binary: on a small tmpfs filled to the last byte
//! where the machine allows mounting one, and always with the leftover files made by hand.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn warmup(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warmup"))
        .current_dir(dir)
        .args(args)
        .env_remove("WARMUP_CRASH_AT")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A project in `dir` whose store (`store/`) holds the customers of `emails`.
fn project(dir: &Path, emails: &[&str]) {
    std::fs::write(
        dir.join("warmup.yaml"),
        "timezone: Europe/Prague\nstore: store\n",
    )
    .unwrap();
    import(dir, emails);
}

fn import(dir: &Path, emails: &[&str]) {
    let csv = format!("Email\n{}\n", emails.join("\n"));
    std::fs::write(dir.join("c.csv"), csv).unwrap();
    let out = warmup(dir, &["import", "customers", "c.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// `customers count` succeeds with `expected`, and says whether it repaired something.
fn count_is(dir: &Path, expected: u64) -> bool {
    let out = warmup(dir, &["customers", "count"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        expected.to_string()
    );
    stderr(&out).contains("repaired the store: removed an incomplete snapshot file")
}

fn snapshot_leftovers(store: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(store)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".generating"))
        .collect()
}

#[test]
fn empty_and_cut_short_snapshot_leftovers_are_repaired_on_open() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &["a@example.com", "b@example.com"]);
    let store = dir.path().join("store");
    // What an open on a full disk leaves: the newest snapshot file, created and empty.
    std::fs::write(store.join("snap.00000000FFFFFFF0.generating"), b"").unwrap();
    assert!(count_is(dir.path(), 2), "the repair is logged");
    assert!(snapshot_leftovers(&store).is_empty());
    // Cut short: bytes without a matching checksum.
    std::fs::write(
        store.join("snap.00000000FFFFFFF1.generating"),
        b"a snapshot cut short by ENOSPC",
    )
    .unwrap();
    import(dir.path(), &["c@example.com"]);
    assert!(!count_is(dir.path(), 3), "nothing left to repair");
    assert!(snapshot_leftovers(&store).is_empty());
}

/// A tmpfs mount, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Self> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .is_ok_and(|out| out.status.success());
        ok.then(|| Self(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Fills the file system of `dir` to the last byte.
fn fill(dir: &Path) {
    use std::io::Write;
    for (name, chunk) in [("fill-pages", 4096), ("fill-bytes", 1)] {
        let mut file = std::fs::File::create(dir.join(name)).unwrap();
        let buffer = vec![0u8; chunk];
        while file.write_all(&buffer).is_ok() {}
    }
}

#[test]
fn a_store_opened_on_a_full_disk_opens_again_when_space_returns() {
    let outer = tempfile::tempdir().unwrap();
    let Some(mount) = Tmpfs::mount(outer.path(), "4m") else {
        eprintln!("skipped: mounting a tmpfs is not permitted here");
        return;
    };
    let dir = mount.0.clone();
    project(&dir, &["a@example.com", "b@example.com"]);
    assert!(!count_is(&dir, 2));
    // New data in the log: the next open writes a snapshot, on a full disk.
    import(&dir, &["c@example.com"]);
    fill(&dir);
    let out = warmup(&dir, &["customers", "count"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("No space left on device"),
        "{}",
        stderr(&out)
    );
    let leftovers = snapshot_leftovers(&dir.join("store"));
    assert!(
        !leftovers.is_empty(),
        "the full disk left no snapshot file behind"
    );
    for name in ["fill-pages", "fill-bytes"] {
        std::fs::remove_file(dir.join(name)).unwrap();
    }
    assert!(count_is(&dir, 3), "the repair is logged");
    assert!(snapshot_leftovers(&dir.join("store")).is_empty());
    assert!(!count_is(&dir, 3));
    drop(mount);
}
