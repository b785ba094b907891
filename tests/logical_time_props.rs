//! Differential property test of logical time: for random tick schedules over the 14-day plan
//! (every minute, hourly, cron at 00:00:30 and 09:01, random gaps, outages of hours and of
//! whole days, a first start late on day 1), the real engine with durable state (a sled
//! engine state, flushed) sends the same e-mails — (customer, template, local day) — as the
//! engine ticking at every due instant (`simulate`), except on days it reports as skipped
//! (late sends or missed fires), which send nothing. Never two e-mails to a customer on a day,
//! never over a day's cap per mailbox provider, for the plan-driven scenario and both
//! reference variants on generated customers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Prague;
use proptest::prelude::*;
use warmup::engine::state::SledKv;
use warmup::engine::{
    simulate, CapturingActions, CustomerAccess, Engine, EngineParts, EngineState, Overlay,
    TickSummary,
};
use warmup::import::{import_customers, CustomerImportOptions};
use warmup::project::Project;
use warmup::scenario::compiled::Scenario;
use warmup::scenario::{compile_str, load_scenarios};
use warmup::store::Store;

const CUSTOMERS: u64 = 300;
const DAYS: u32 = 14;
const MINUTES: u32 = DAYS * 24 * 60;

/// (customer, template, local date).
type Sent = BTreeSet<(u64, String, NaiveDate)>;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn project() -> Project {
    Project::load(Some(&repo().join("warmup.yaml"))).unwrap()
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

/// Local midnight of the plan's first day, plus `minutes`.
fn at_minute(minutes: u32) -> DateTime<Utc> {
    let start =
        warmup::engine::schedule::resolve_local(Prague, first_day().and_hms_opt(0, 0, 0).unwrap());
    start + Duration::minutes(i64::from(minutes))
}

/// The generated customers, imported once into a sled store that every case reads through
/// an in-memory overlay (so cases do not see each other's e-mails).
fn base() -> Arc<dyn CustomerAccess> {
    static BASE: OnceLock<(tempfile::TempDir, Arc<Store>)> = OnceLock::new();
    let (_, store) = BASE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        let csv = dir.path().join("customers.csv");
        warmup::sample::Sample::new(11)
            .write_csv(std::fs::File::create(&csv).unwrap(), CUSTOMERS)
            .unwrap();
        let project = project();
        let options = CustomerImportOptions {
            columns: project.file.import.columns.clone(),
            consent_category: project.file.import.consent_category.clone(),
            tag: Some("engaged-90".into()),
            rejects: None,
        };
        import_customers(&store, &csv, &options, &mut |_| {}).unwrap();
        store.flush().unwrap();
        (dir, Arc::new(store))
    });
    store.clone()
}

fn scenarios(file: &str) -> Vec<Scenario> {
    load_scenarios(&project(), &[repo().join("scenarios").join(file)]).unwrap()
}

fn compiler() -> warmup::engine::Compiler {
    let project = project();
    Box::new(move |s| compile_str(s, Path::new("stored"), &project).map_err(|d| d.to_string()))
}

fn sent_of(actions: &CapturingActions) -> Sent {
    actions
        .emails()
        .into_iter()
        .map(|e| {
            (
                e.customer,
                e.template,
                e.at.with_timezone(&Prague).date_naive(),
            )
        })
        .collect()
}

/// The reference: the engine ticking at every due instant on a virtual clock.
fn reference(file: &'static str) -> &'static Sent {
    static CACHE: OnceLock<std::sync::Mutex<BTreeMap<&'static str, &'static Sent>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap();
    cache.entry(file).or_insert_with(|| {
        let simulation = simulate(
            base(),
            scenarios(file),
            project().mailbox_providers(),
            compiler(),
            first_day(),
            DAYS,
            true,
        )
        .unwrap();
        Box::leak(Box::new(sent_of(&simulation.actions)))
    })
}

/// What a schedule of ticks did.
struct Outcome {
    sent: Sent,
    summary: TickSummary,
    /// Local dates with e-mails skipped as late.
    late_days: BTreeSet<NaiveDate>,
    /// Local dates with a run of the scenario.
    run_days: BTreeSet<NaiveDate>,
    /// Per (date, provider): the cap in force.
    caps: BTreeMap<(NaiveDate, String), u64>,
    /// Every e-mail as (customer, local date, provider), duplicates kept.
    every: Vec<(u64, NaiveDate, String)>,
}

/// Runs the scenario with durable sled state, ticking at `ticks`.
fn run(file: &str, ticks: &[DateTime<Utc>]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new().path(dir.path()).open().unwrap();
    let actions = Arc::new(CapturingActions::keeping());
    let project = project();
    let engine = Engine::new(EngineParts {
        access: Arc::new(Overlay::new(base()).unwrap()),
        state: EngineState::new(Box::new(SledKv::open(&db).unwrap())),
        actions: actions.clone(),
        providers: project.mailbox_providers(),
        scenarios: scenarios(file),
        compiler: compiler(),
        durable: true,
    });
    let mut summary = TickSummary::default();
    for &tick in ticks {
        let one = engine.tick(tick).unwrap();
        summary.late_skipped += one.late_skipped;
        summary.missed_fires += one.missed_fires;
        summary.duplicates_skipped += one.duplicates_skipped;
        summary.emails += one.emails;
    }
    let state = engine.state();
    let late_days = state
        .counters(None)
        .unwrap()
        .into_iter()
        .filter(|c| c.metric == "late_skipped")
        .map(|c| c.date)
        .collect();
    let run_days = state.runs().unwrap().iter().map(|r| r.local_date).collect();
    let mut caps = BTreeMap::new();
    for cap in state.caps_in_force().unwrap() {
        let entry = caps.entry((cap.date, cap.group)).or_insert(0);
        *entry = (*entry).max(cap.cap);
    }
    let every = actions
        .emails()
        .into_iter()
        .map(|e| {
            (
                e.customer,
                e.at.with_timezone(&Prague).date_naive(),
                e.provider,
            )
        })
        .collect();
    Outcome {
        sent: sent_of(&actions),
        summary,
        late_days,
        run_days,
        caps,
        every,
    }
}

fn on(sent: &Sent, date: NaiveDate) -> Sent {
    sent.iter().filter(|s| s.2 == date).cloned().collect()
}

/// The properties every schedule must have.
fn check(file: &'static str, ticks: &[DateTime<Utc>]) -> Result<(), TestCaseError> {
    let expected = reference(file);
    let outcome = run(file, ticks);
    // Per-day invariants.
    let mut per_customer_day = BTreeMap::new();
    let mut per_provider_day: BTreeMap<(NaiveDate, String), u64> = BTreeMap::new();
    for (customer, date, provider) in &outcome.every {
        *per_customer_day.entry((*customer, *date)).or_insert(0) += 1;
        *per_provider_day
            .entry((*date, provider.clone()))
            .or_insert(0) += 1;
    }
    for ((customer, date), n) in &per_customer_day {
        prop_assert!(*n == 1, "customer {customer} got {n} e-mails on {date}");
    }
    for (key, n) in &per_provider_day {
        let cap = outcome.caps.get(key).copied().unwrap_or(0);
        prop_assert!(*n <= cap, "{key:?}: {n} e-mails over the cap {cap}");
    }
    let reported_late: u64 = outcome.late_days.len() as u64;
    prop_assert_eq!(reported_late > 0, outcome.summary.late_skipped > 0);
    // A scenario first seen on a later day never runs the days before (they are not missed,
    // they were before activation); after that, every day without a run is a reported miss.
    let activated = ticks[0].with_timezone(&Prague).date_naive();
    let unrun = (0..DAYS)
        .map(|offset| first_day() + Duration::days(i64::from(offset)))
        .filter(|date| *date >= activated && !outcome.run_days.contains(date))
        .count() as u64;
    prop_assert_eq!(
        unrun,
        outcome.summary.missed_fires,
        "days without a run vs missed fires"
    );
    // Day by day against the reference.
    let mut history_differs = false;
    for offset in 0..DAYS {
        let date = first_day() + Duration::days(i64::from(offset));
        let (mine, theirs) = (on(&outcome.sent, date), on(expected, date));
        let late = outcome.late_days.contains(&date);
        let missed = !theirs.is_empty() && !outcome.run_days.contains(&date);
        if late || missed {
            prop_assert!(
                mine.is_empty(),
                "{date}: reported skipped, yet sent {}",
                mine.len()
            );
            history_differs = true;
        } else if !history_differs {
            prop_assert!(
                mine == theirs,
                "{date}: {} e-mails, the reference {} ({} only here, {} only there)",
                mine.len(),
                theirs.len(),
                mine.difference(&theirs).count(),
                theirs.difference(&mine).count()
            );
        } else if offset == 1 && on(&outcome.sent, first_day()).is_empty() {
            // The guide's day 2 repeats day 1's audience and adds nobody: a warm-up that
            // sent nothing on day 1 (activated only on day 2) sends nothing on day 2 either.
        } else {
            // After a skipped day the audience's history differs from the reference's; the day
            // still sends (nothing is lost silently).
            prop_assert!(
                theirs.is_empty() || !mine.is_empty(),
                "{date}: nothing sent and nothing reported"
            );
        }
    }
    Ok(())
}

/// A tick schedule: a base pattern, outages, a late first start.
#[derive(Debug, Clone)]
enum Pattern {
    EveryMinute,
    Hourly(u32),
    Cron,
    Random(Vec<u32>),
}

fn ticks_of(pattern: &Pattern, outages: &[(u32, u32)], first: u32) -> Vec<DateTime<Utc>> {
    let minutes: Vec<u32> = match pattern {
        Pattern::EveryMinute => (0..MINUTES + 1).collect(),
        Pattern::Hourly(offset) => (0..=DAYS * 24).map(|h| h * 60 + offset).collect(),
        Pattern::Cron => (0..DAYS)
            .flat_map(|d| [d * 1440, d * 1440 + 9 * 60 + 1])
            .collect(),
        Pattern::Random(points) => {
            let mut points = points.clone();
            points.sort_unstable();
            points
        }
    };
    let down = |m: u32| {
        outages
            .iter()
            .any(|(from, len)| m >= *from && m < from + len)
    };
    let mut ticks: Vec<DateTime<Utc>> = minutes
        .into_iter()
        .filter(|m| *m >= first && !down(*m))
        .map(|m| {
            // Cron ticks land 30 s after the minute, as `00:00:30` does.
            let seconds = if matches!(pattern, Pattern::Cron) {
                30
            } else {
                0
            };
            at_minute(m) + Duration::seconds(seconds)
        })
        .collect();
    // A last tick after the plan, so every schedule ends having caught up.
    ticks.push(at_minute(MINUTES + 60));
    ticks
}

fn pattern() -> impl Strategy<Value = Pattern> {
    prop_oneof![
        1 => Just(Pattern::EveryMinute),
        2 => (0u32..60).prop_map(Pattern::Hourly),
        2 => Just(Pattern::Cron),
        3 => proptest::collection::vec(0..MINUTES, 5..120).prop_map(Pattern::Random),
    ]
}

fn outages() -> impl Strategy<Value = Vec<(u32, u32)>> {
    let hours = (0..MINUTES, 60u32..12 * 60);
    let days = (0..MINUTES, 1440u32..3 * 1440);
    proptest::collection::vec(prop_oneof![3 => hours, 1 => days], 0..3)
}

fn schedule() -> impl Strategy<Value = (Pattern, Vec<(u32, u32)>, u32)> {
    // The first start: at midnight, or late on day 1 (up to 23:59).
    let first = prop_oneof![1 => Just(0u32), 1 => 0u32..1440];
    (pattern(), outages(), first)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 12,
        max_shrink_iters: 20,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn plan_driven_sends_the_same_whatever_the_ticks((pattern, outages, first) in schedule()) {
        check("plan-driven.yaml", &ticks_of(&pattern, &outages, first))?;
    }

    #[test]
    fn variant_1_sends_the_same_whatever_the_ticks((pattern, outages, first) in schedule()) {
        check("variant-1.yaml", &ticks_of(&pattern, &outages, first))?;
    }

    #[test]
    fn variant_2_sends_the_same_whatever_the_ticks((pattern, outages, first) in schedule()) {
        check("variant-2.yaml", &ticks_of(&pattern, &outages, first))?;
    }
}

/// The schedules the issue names, each checked outright (not left to chance).
#[test]
fn the_named_schedules_send_exactly_what_the_reference_sends() {
    for file in ["plan-driven.yaml", "variant-1.yaml", "variant-2.yaml"] {
        for (pattern, first) in [
            (Pattern::Cron, 0),
            (Pattern::Hourly(1), 0),
            // First start on day 1 at 09:30, after the fire and the sending time.
            (Pattern::Hourly(30), 9 * 60 + 30),
        ] {
            run_named(file, &pattern, first);
        }
    }
    // Every minute of the 14 days (20,161 ticks), on the plan-driven scenario.
    run_named("plan-driven.yaml", &Pattern::EveryMinute, 0);
}

fn run_named(file: &'static str, pattern: &Pattern, first: u32) {
    let ticks = ticks_of(pattern, &[], first);
    let outcome = run(file, &ticks);
    assert_eq!(outcome.summary.late_skipped, 0, "{file} {pattern:?}");
    assert_eq!(outcome.summary.missed_fires, 0, "{file} {pattern:?}");
    assert!(
        &outcome.sent == reference(file),
        "{file} {pattern:?}: {} e-mails, the reference {}",
        outcome.sent.len(),
        reference(file).len()
    );
}
