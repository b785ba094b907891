//! A second process that opens a store in use gets a clear error, not a panic.

use assert_cmd::Command;
use warmup::store::Store;

#[test]
fn a_second_process_is_told_the_store_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("warmup.yaml"), "timezone: UTC\n").unwrap();
    let held = Store::open(&dir.path().join(".warmup")).unwrap();
    let output = Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(dir.path())
        .args(["customers", "count"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is in use by another warmup process"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    drop(held);
    // Once released, the store opens normally.
    Command::cargo_bin("warmup")
        .unwrap()
        .current_dir(dir.path())
        .args(["customers", "count"])
        .assert()
        .success()
        .stdout("0\n");
}
