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
use warmup::store::{CustomerId, Store};

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

/// Merges made before a sending day's e-mails: day → absorbed customer → survivor.
type MergesByDay = HashMap<u32, HashMap<u64, u64>>;

/// The person a customer id was on a sending day (merges made before that day's e-mails).
fn person(merges: &MergesByDay, day: u32, mut customer: u64) -> u64 {
    while let Some(&next) = merges.get(&day).and_then(|m| m.get(&customer)) {
        customer = next;
    }
    customer
}

/// The invariants that hold after every restart; customers merged before a day's e-mails
/// count as one.
fn check_sent_merged(dir: &Path, merges: &MergesByDay) {
    let plan = plan();
    let mut seen = HashSet::new();
    let mut per_day: HashMap<(u32, String), u64> = HashMap::new();
    for line in journal(dir) {
        assert!(
            seen.insert((
                line.run,
                line.node.clone(),
                person(merges, line.day, line.customer)
            )),
            "customer {} (merged into {}) got e-mail node {} of run {} twice",
            line.customer,
            person(merges, line.day, line.customer),
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
/// e-mailed, reported uncertain or merged into another; `entered[i]` customers entered run
/// `i + 1`.
fn check_final(dir: &Path, entered: &[u64]) {
    let store = Store::open(&dir.join(".warmup")).unwrap();
    let state = EngineState::new(Box::new(SledKv::open(store.db()).unwrap()));
    let runs = state.runs().unwrap();
    assert_eq!(runs.len(), entered.len(), "one run per sending day");
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
    for (run, &entered) in runs.iter().zip(entered) {
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
        let accounted = sent.union(&unsure).count() as u64 + count("256", "merged");
        assert!(passed > 0);
        assert_eq!(
            passed, accounted,
            "run {} (day {:?}): passed vs e-mailed or uncertain",
            run.id, run.day
        );
        assert_eq!(
            count("mail", "entered") + count("256", "merged"),
            passed,
            "run {}",
            run.id
        );
        assert_eq!(
            count("7", "entered"),
            entered,
            "run {}: entered once each",
            run.id
        );
    }
}

/// Ticks at `now` until one finishes cleanly: each attempt is aborted at a random crash
/// point or SIGKILLed after a random delay, and the next attempt restarts from what the last
/// one left on disk.
fn tick_with_crashes(dir: &Path, now: &str, rng: &mut StdRng) -> u32 {
    tick_with_crashes_at(dir, now, rng, &[], &MergesByDay::new())
}

/// [`tick_with_crashes`], also at the `extra` crash points, checking with `merges`.
fn tick_with_crashes_at(
    dir: &Path,
    now: &str,
    rng: &mut StdRng,
    extra: &[(&str, u32)],
    merges: &MergesByDay,
) -> u32 {
    // Crash points a tick at this time reaches, and how often at most.
    let mut points: Vec<(&str, u32)> = if now.contains("T00:") {
        vec![("run-created", 1), ("wave-finishing", 1)]
    } else {
        vec![
            ("email-intents-flushed", 3),
            ("email-sent", 150),
            ("wave-finishing", 1),
        ]
    };
    points.extend_from_slice(extra);
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
        if ran(&status) {
            break;
        }
        crashes += 1;
        check_sent_merged(dir, merges);
    }
    let mut clean = tick(dir, now).spawn().unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = clean.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = clean.kill();
            panic!("a clean tick at {now} did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(ran(&status), "a clean tick at {now} after crashes failed");
    check_sent_merged(dir, merges);
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
    check_final(dir.path(), &[CUSTOMERS; 4]);
}

/// Writes an `import events` file that merges pairs of customers parked at `#256` (and some
/// parked customers with ones that are not): each line names one customer's email and the
/// other's Klaviyo id. Returns the pairs it merges.
fn merge_parked_pairs(dir: &Path, rng: &mut StdRng) -> Vec<(u64, u64)> {
    let store = Store::open(&dir.join(".warmup")).unwrap();
    let state = EngineState::new(Box::new(SledKv::open(store.db()).unwrap()));
    let mut parked = Vec::new();
    for (group, _) in state.due_summary().unwrap() {
        parked.extend(state.due_customers(group, None, usize::MAX).unwrap());
    }
    let parked_set: HashSet<u64> = parked.iter().copied().collect();
    let others: Vec<u64> = store
        .customers()
        .map(|c| c.unwrap().id.0)
        .filter(|id| !parked_set.contains(id))
        .collect();
    let mut lines = String::new();
    let mut used = HashSet::new();
    let mut pairs = Vec::new();
    // Within one email domain, so the merged customer's mailbox provider (its cap group) is
    // the one both passed the limit in.
    let domain = |id: u64| {
        let customer = store.customer(CustomerId(id)).unwrap().unwrap();
        customer
            .email_id
            .unwrap()
            .split('@')
            .nth(1)
            .unwrap()
            .to_owned()
    };
    for _ in 0..400 {
        let a = parked[rng.random_range(0..parked.len())];
        let b = if rng.random_bool(0.75) {
            parked[rng.random_range(0..parked.len())]
        } else {
            others[rng.random_range(0..others.len())]
        };
        if a == b || used.contains(&a) || used.contains(&b) || domain(a) != domain(b) {
            continue;
        }
        used.extend([a, b]);
        if pairs.len() == 30 {
            break;
        }
        pairs.push((a, b));
        let (a, b) = (
            store.customer(CustomerId(a)).unwrap().unwrap(),
            store.customer(CustomerId(b)).unwrap().unwrap(),
        );
        let line = serde_json::json!({
            "email": a.email_id,
            "klaviyo_id": b.klaviyo_id,
            "type": "page_view",
            "timestamp": "2026-12-01T04:00:00Z",
        });
        lines.push_str(&format!("{line}\n"));
    }
    std::fs::write(dir.join("merges.jsonl"), lines).unwrap();
    pairs
}

#[test]
fn killed_ticks_after_merges_of_parked_customers_never_double_send() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let mut rng = StdRng::seed_from_u64(14);
    assert!(tick(dir.path(), "2026-11-30T12:00:00+01:00")
        .status()
        .unwrap()
        .success());
    let mut entered = Vec::new();
    let mut customers = CUSTOMERS;
    let mut crashes = 0;
    let mut merges = MergesByDay::new();
    let mut so_far = HashMap::new();
    for day in 1..=2 {
        let midnight = format!("2026-12-{day:02}T00:00:10+01:00");
        crashes += tick_with_crashes_at(dir.path(), &midnight, &mut rng, &[], &merges);
        entered.push(customers);
        let pairs = merge_parked_pairs(dir.path(), &mut rng);
        assert!(pairs.len() >= 10, "only {} merges", pairs.len());
        let status = warmup(dir.path())
            .args(["import", "events", "merges.jsonl"])
            .status()
            .unwrap();
        assert!(status.success());
        customers -= pairs.len() as u64;
        // Both directions: whichever id survived, the two are one person from now on.
        for (a, b) in pairs {
            so_far.insert(a.max(b), a.min(b));
        }
        merges.insert(day, so_far.clone());
        let now = format!("2026-12-{day:02}T09:00:10+01:00");
        crashes += tick_with_crashes_at(
            dir.path(),
            &now,
            &mut rng,
            &[("merge-handed-over", 30)],
            &merges,
        );
    }
    assert!(crashes >= 3, "only {crashes} crashes");
    check_final(dir.path(), &entered);
    let store = Store::open(&dir.path().join(".warmup")).unwrap();
    assert_eq!(store.count() as u64, customers);
}

/// Whether a tick ran to its end: exit 0, or 3 when some customer's step failed (e-mails a
/// crash left unconfirmed fail theirs).
fn ran(status: &std::process::ExitStatus) -> bool {
    matches!(status.code(), Some(0 | 3))
}

#[test]
fn killed_ticks_while_catching_up_never_double_send_exceed_caps_or_lose_tokens() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let mut rng = StdRng::seed_from_u64(12);
    // A tick that catches up runs a fire, wakes its parked customers and sends, in one go.
    let catching_up: &[(&str, u32)] = &[("run-created", 1), ("wave-finishing", 2)];
    let mut crashes = 0;
    for now in [
        // First start on day 1 after the sending hour: day 1 runs, and sends at once.
        "2026-12-01T10:00:00+01:00",
        // Day 2: nothing ran until 15:00, the same day (in time).
        "2026-12-02T15:00:00+01:00",
        // Day 3 missed entirely; day 4's first tick is after its sending hour.
        "2026-12-04T09:30:00+01:00",
    ] {
        crashes +=
            tick_with_crashes_at(dir.path(), now, &mut rng, catching_up, &MergesByDay::new());
    }
    assert!(crashes >= 4, "only {crashes} crashes while catching up");
    check_final(dir.path(), &[CUSTOMERS; 3]);
}
