//! The capture journal (`captured-actions.jsonl`) exists only once something was captured:
//! a tick that captures nothing, or a command that only serves, leaves no empty file.

use assert_cmd::Command;

#[test]
fn a_tick_that_captures_nothing_leaves_no_journal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("warmup.yaml"),
        "timezone: UTC\nscenarios: [flow.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("flow.yaml"),
        "name: flow\nnodes:\n  start: { kind: on_date, at: \"2026-12-01T00:00\", next: done }\n  done: { kind: add_event, event: seen }\n",
    )
    .unwrap();
    for args in [
        &["tick", "--now", "2026-11-30T00:00:00Z"][..],
        &["tick", "--capture", "--now", "2026-12-01T00:00:05Z"][..],
    ] {
        Command::cargo_bin("warmup")
            .unwrap()
            .current_dir(dir.path())
            .env_remove("WARMUP_PROJECT")
            .args(args)
            .assert()
            .success();
        let journal = dir.path().join(".warmup/captured-actions.jsonl");
        assert!(
            !journal.exists(),
            "`warmup {}` created {}",
            args.join(" "),
            journal.display()
        );
    }
}
