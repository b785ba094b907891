//! Crash safety of the real binary: `warmup tick` on a virtual `--now` is killed at many
//! points of a four-day plan-driven warm-up — by crash points inside the engine (abort, no
//! flush) and by SIGKILL after random short delays — and restarted. After every restart:
//! nobody got the same e-mail node twice in a run, no cap was exceeded; at the end every
//! token finished, nothing is left parked or half-sent, and every customer who passed a cap
//! got their e-mail or is reported as uncertain. The same holds while a tick catches up after
//! an outage (a fire, its wait and its e-mails in one tick; a missed day).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use warmup::engine::state::{LedgerState, RunStatus, SledKv};
use warmup::engine::EngineState;
use warmup::store::Store;

const CUSTOMERS: u64 = 600;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A project with the example project file, the plan-driven scenario, its templates and
/// imported sample customers.
fn project(dir: &Path) {
    std::fs::copy(repo().join("warmup.yaml"), dir.join("warmup.yaml")).unwrap();
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::copy(
        repo().join("scenarios/plan-driven.yaml"),
        dir.join("scenarios/plan-driven.yaml"),
    )
    .unwrap();
    copy_dir(&repo().join("templates"), &dir.join("templates"));
    let csv = dir.join("engaged-90.csv");
    warmup::sample::Sample::new(11)
        .write_csv(std::fs::File::create(&csv).unwrap(), CUSTOMERS)
        .unwrap();
    let status = warmup(dir)
        .args(["import", "customers"])
        .arg(&csv)
        .args(["--tag", "engaged-90"])
        .status()
        .unwrap();
    assert!(status.success());
}

fn warmup(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warmup"));
    command
        .current_dir(dir)
        .env_remove("WARMUP_CRASH_AT")
        .env("RUST_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn tick(dir: &Path, now: &str) -> Command {
    let mut command = warmup(dir);
    command.args(["tick", "--capture", "--now", now]);
    command
}

#[derive(serde::Deserialize)]
struct Line {
    kind: String,
    run: u64,
    node: String,
    #[serde(default)]
    customer: u64,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    day: u32,
}

fn journal(dir: &Path) -> Vec<Line> {
    let text =
        std::fs::read_to_string(dir.join(".warmup/captured-actions.jsonl")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &Line| l.kind == "email")
        .collect()
}

fn plan() -> BTreeMap<String, Vec<u64>> {
    let text = std::fs::read_to_string(repo().join("scenarios/plan-driven.yaml")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    serde_yaml::from_value(yaml["plans"]["warmup"].clone()).unwrap()
}

/// The invariants that hold after every restart.
fn check_sent(dir: &Path) {
    let plan = plan();
    let mut seen = HashSet::new();
    let mut per_day: HashMap<(u32, String), u64> = HashMap::new();
    for line in journal(dir) {
        assert!(
            seen.insert((line.run, line.node.clone(), line.customer)),
            "customer {} got e-mail node {} of run {} twice",
            line.customer,
            line.node,
            line.run
        );
        *per_day
            .entry((line.day, line.provider.clone()))
            .or_default() += 1;
    }
    for ((day, provider), sent) in per_day {
        let cap = plan[&provider][day as usize - 1];
        assert!(sent <= cap, "day {day} {provider}: {sent} sent, cap {cap}");
    }
}

/// At the end: all runs done, nothing parked, no intent unresolved, every passed customer
/// e-mailed or reported uncertain.
fn check_final(dir: &Path, days: usize) {
    let store = Store::open(&dir.join(".warmup")).unwrap();
    let state = EngineState::new(Box::new(SledKv::open(store.db()).unwrap()));
    let runs = state.runs().unwrap();
    assert_eq!(runs.len(), days, "one run per sending day that ran");
    assert!(
        runs.iter().all(|r| r.status == RunStatus::Done),
        "runs not done"
    );
    assert!(
        state.due_summary().unwrap().is_empty(),
        "tokens still parked"
    );
    assert!(
        state.ledger_in(LedgerState::Intent).unwrap().is_empty(),
        "unresolved intents"
    );
    let uncertain: Vec<_> = state.ledger_in(LedgerState::Uncertain).unwrap();
    let lines = journal(dir);
    for run in &runs {
        let counters = state.counters(Some(run.id)).unwrap();
        let count = |node: &str, metric: &str| -> u64 {
            counters
                .iter()
                .filter(|c| c.node == node && c.metric == metric)
                .map(|c| c.value)
                .sum()
        };
        let passed = count("cap", "passed");
        let sent: HashSet<u64> = lines
            .iter()
            .filter(|l| l.run == run.id)
            .map(|l| l.customer)
            .collect();
        let unsure: HashSet<u64> = uncertain
            .iter()
            .filter(|(r, _, _)| *r == run.id)
            .map(|(_, _, c)| *c)
            .collect();
        let accounted = sent.union(&unsure).count() as u64;
        assert!(passed > 0);
        assert_eq!(
            passed, accounted,
            "run {} (day {:?}): passed vs e-mailed or uncertain",
            run.id, run.day
        );
        assert_eq!(count("mail", "entered"), passed, "run {}", run.id);
        assert_eq!(
            count("7", "entered"),
            CUSTOMERS,
            "run {}: entered once each",
            run.id
        );
    }
}

/// Ticks at `now` until one finishes cleanly: each attempt is aborted at a random crash
/// point or SIGKILLed after a random delay, and the next attempt restarts from what the last
/// one left on disk.
fn tick_with_crashes(dir: &Path, now: &str, rng: &mut StdRng) -> u32 {
    // Crash points a tick at this time reaches, and how often at most.
    let points: &[(&str, u32)] = if now.contains("T00:") {
        &[("run-created", 1), ("wave-finishing", 1)]
    } else {
        &[
            ("email-intents-flushed", 3),
            ("email-sent", 150),
            ("wave-finishing", 1),
        ]
    };
    tick_with_crashes_at(dir, now, points, rng)
}

/// [`tick_with_crashes`] at the given crash points.
fn tick_with_crashes_at(dir: &Path, now: &str, points: &[(&str, u32)], rng: &mut StdRng) -> u32 {
    let mut crashes = 0;
    for _ in 0..8 {
        let status = if rng.random_bool(0.7) {
            let (point, most) = points[rng.random_range(0..points.len())];
            let hit = rng.random_range(1..=most);
            tick(dir, now)
                .env("WARMUP_CRASH_AT", format!("{point}:{hit}"))
                .status()
                .unwrap()
        } else {
            let mut child = tick(dir, now).spawn().unwrap();
            std::thread::sleep(Duration::from_millis(rng.random_range(2..80)));
            let _ = child.kill();
            child.wait().unwrap()
        };
        if status.success() {
            break;
        }
        crashes += 1;
        check_sent(dir);
    }
    let status = tick(dir, now).status().unwrap();
    assert!(
        status.success(),
        "a clean tick at {now} after crashes failed"
    );
    check_sent(dir);
    crashes
}

#[test]
fn killed_ticks_never_double_send_exceed_caps_or_lose_tokens() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let mut rng = StdRng::seed_from_u64(2026);
    let mut crashes = 0;
    // Registers the scenario before its first fire.
    assert!(tick(dir.path(), "2026-11-30T12:00:00+01:00")
        .status()
        .unwrap()
        .success());
    for day in 1..=4 {
        for time in ["00:00:10", "09:00:10"] {
            let now = format!("2026-12-{day:02}T{time}+01:00");
            crashes += tick_with_crashes(dir.path(), &now, &mut rng);
        }
    }
    assert!(
        crashes >= 8,
        "only {crashes} crashes: the test did not exercise restarts"
    );
    check_final(dir.path(), 4);
}

#[test]
fn killed_ticks_while_catching_up_never_double_send_exceed_caps_or_lose_tokens() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let mut rng = StdRng::seed_from_u64(12);
    // A tick that catches up runs a fire, wakes its parked customers and sends, in one go.
    let catching_up: &[(&str, u32)] = &[
        ("run-created", 1),
        ("email-intents-flushed", 3),
        ("email-sent", 150),
        ("wave-finishing", 2),
    ];
    let mut crashes = 0;
    for now in [
        // First start on day 1 after the sending hour: day 1 runs, and sends at once.
        "2026-12-01T10:00:00+01:00",
        // Day 2: nothing ran until 15:00, the same day (in time).
        "2026-12-02T15:00:00+01:00",
        // Day 3 missed entirely; day 4's first tick is after its sending hour.
        "2026-12-04T09:30:00+01:00",
    ] {
        crashes += tick_with_crashes_at(dir.path(), now, catching_up, &mut rng);
    }
    assert!(crashes >= 4, "only {crashes} crashes while catching up");
    check_final(dir.path(), 3);
}
