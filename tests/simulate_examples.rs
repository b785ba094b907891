//! Simulations of the example scenarios over 14 days on generated customers: caps hold per
//! day and provider, moved customers are served first and stay moved, nobody gets two e-mails
//! a day, Variant 2 never repeats a template, #7 lets only consenting customers with an
//! e-mail through, and a DST-change day fires once at the right instant.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use warmup::engine::actions_port::CapturedEmail;
use warmup::engine::{simulate, CustomerAccess, Simulation};
use warmup::import::{import_customers, CustomerImportOptions};
use warmup::project::Project;
use warmup::sample::Sample;
use warmup::scenario::{compile_str, load_scenarios};
use warmup::store::{CustomerId, CustomerRecord, Event, Store};

const CUSTOMERS: u64 = 3000;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A store with sample customers (tagged `engaged-90`, consent from the export) plus a few
/// consenting, active customers without an e-mail address.
fn store(dir: &Path, project: &Project) -> (Arc<Store>, HashSet<u64>) {
    let store = Store::open(&dir.join("store")).unwrap();
    let csv = dir.join("customers.csv");
    Sample::new(7)
        .write_csv(std::fs::File::create(&csv).unwrap(), CUSTOMERS)
        .unwrap();
    let options = CustomerImportOptions {
        columns: project.file.import.columns.clone(),
        consent_category: project.file.import.consent_category.clone(),
        tag: Some("engaged-90".into()),
        rejects: None,
    };
    import_customers(&store, &csv, &options, &mut |_| {}).unwrap();
    let mut without_email = HashSet::new();
    for n in 0..20 {
        let record = CustomerRecord {
            klaviyo_id: Some(format!("01NOEMAIL{n:04}")),
            tags: vec!["engaged-90".into()],
            ..CustomerRecord::default()
        };
        let id = store.upsert(&record).unwrap().customer();
        let at = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        let consent = Event::new("consent", at)
            .with("action", "accept")
            .with("category", "newsletter");
        store.record_event(id, &consent).unwrap();
        without_email.insert(id.0);
    }
    (Arc::new(store), without_email)
}

struct Outcome {
    simulation: Simulation,
    store: Arc<Store>,
    project: Project,
    without_email: HashSet<u64>,
    _dir: tempfile::TempDir,
}

fn run(scenario: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::load(Some(&repo().join("warmup.yaml"))).unwrap();
    let (store, without_email) = store(dir.path(), &project);
    let scenarios = load_scenarios(&project, &[repo().join("scenarios").join(scenario)]).unwrap();
    let compiler_project = project.clone();
    let simulation = simulate(
        store.clone() as Arc<dyn CustomerAccess>,
        scenarios,
        project.mailbox_providers(),
        Box::new(move |source| {
            compile_str(source, Path::new("stored"), &compiler_project).map_err(|d| d.to_string())
        }),
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        14,
        true,
    )
    .unwrap();
    Outcome {
        simulation,
        store,
        project,
        without_email,
        _dir: dir,
    }
}

fn local_date(email: &CapturedEmail) -> NaiveDate {
    email
        .at
        .with_timezone(&chrono_tz::Europe::Prague)
        .date_naive()
}

/// Caps per (date, provider) from the report, and sends that never exceed them.
fn assert_caps_hold(outcome: &Outcome) -> BTreeMap<(NaiveDate, String), u64> {
    let report = outcome
        .simulation
        .engine
        .report(outcome.simulation.from, 14)
        .unwrap();
    let mut sent: BTreeMap<(NaiveDate, String), u64> = BTreeMap::new();
    for email in outcome.simulation.actions.emails() {
        *sent
            .entry((local_date(&email), email.provider.clone()))
            .or_default() += 1;
    }
    for (date, provider) in sent.keys() {
        let day = report.days.iter().find(|d| d.date == *date).unwrap();
        assert!(
            day.caps.contains_key(provider),
            "sent on {date} to {provider} without a cap"
        );
    }
    let mut caps = BTreeMap::new();
    for day in &report.days {
        for (provider, cap) in &day.caps {
            let count = sent
                .get(&(day.date, provider.clone()))
                .copied()
                .unwrap_or(0);
            assert!(
                count <= *cap,
                "{} {provider}: {count} sent, cap {cap}",
                day.date
            );
            assert_eq!(day.sends.get(provider).copied().unwrap_or(0), count);
            caps.insert((day.date, provider.clone()), *cap);
        }
    }
    caps
}

/// Nobody gets two e-mails on one day; returns the customers e-mailed per date.
fn assert_one_email_a_day(outcome: &Outcome, days: usize) -> BTreeMap<NaiveDate, HashSet<u64>> {
    let mut per_day: BTreeMap<NaiveDate, HashSet<u64>> = BTreeMap::new();
    for email in outcome.simulation.actions.emails() {
        let fresh = per_day
            .entry(local_date(&email))
            .or_default()
            .insert(email.customer);
        assert!(
            fresh,
            "customer {} got two e-mails on {}",
            email.customer,
            local_date(&email)
        );
    }
    if days > 0 {
        assert_eq!(per_day.len(), days, "days with e-mails");
    }
    per_day
}

/// Everyone e-mailed on a day is e-mailed again on every later day (served first).
fn assert_moved_stay_moved(per_day: &BTreeMap<NaiveDate, HashSet<u64>>) {
    let days: Vec<_> = per_day.values().collect();
    for pair in days.windows(2) {
        let missing = pair[0].difference(pair[1]).count();
        assert_eq!(
            missing, 0,
            "{missing} customers moved earlier were not served the next day"
        );
        assert!(pair[1].len() >= pair[0].len());
    }
}

/// Only customers with valid consent and an e-mail get past #7; counts of #7 agree.
fn assert_only_consenting_with_email(outcome: &Outcome) {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let mut eligible = 0u64;
    for customer in outcome.store.customers() {
        let customer = customer.unwrap();
        if customer.email_id.is_some()
            && outcome
                .store
                .consent_valid(customer.id, "newsletter", at)
                .unwrap()
        {
            eligible += 1;
        }
    }
    let emailed: HashSet<u64> = outcome
        .simulation
        .actions
        .emails()
        .iter()
        .map(|e| e.customer)
        .collect();
    for id in &emailed {
        assert!(
            !outcome.without_email.contains(id),
            "customer {id} has no e-mail"
        );
        let valid = outcome
            .store
            .consent_valid(CustomerId(*id), "newsletter", at)
            .unwrap();
        assert!(valid, "customer {id} was e-mailed without consent");
    }
    let report = outcome
        .simulation
        .engine
        .report(outcome.simulation.from, 14)
        .unwrap();
    for day in &report.days {
        let seven = day
            .nodes
            .iter()
            .find(|n| n.node == "7" || n.node == format!("7-d{}", day.date.format("%-d")))
            .unwrap();
        assert_eq!(
            seven.ports.get("yes").copied().unwrap_or(0),
            eligible,
            "#7 on {}",
            day.date
        );
        assert_eq!(seven.entered, CUSTOMERS + 20);
    }
}

#[test]
fn plan_driven_ramps_per_provider_within_the_plan() {
    let outcome = run("plan-driven.yaml");
    let caps = assert_caps_hold(&outcome);
    assert_eq!(caps.len(), 14 * 5, "a cap per provider every day");
    let per_day = assert_one_email_a_day(&outcome, 14);
    assert_moved_stay_moved(&per_day);
    assert_only_consenting_with_email(&outcome);
    // Day 1 of the plan: exactly the plan's caps (the audience is larger than every cap).
    let day1 = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let plan = &outcome.project.mailbox_providers();
    assert_eq!(plan.len(), 4);
    assert_eq!(caps[&(day1, "gmail".to_owned())], 50);
    assert_eq!(per_day[&day1].len(), 50 + 30 + 20 + 20 + 30);
    // The exclusion-list webhook ran in batches, never more than 1000 customers a call.
    let webhooks = outcome.simulation.actions.webhooks();
    assert!(webhooks
        .iter()
        .all(|w| w.customers.len() <= 1000 && w.node == "225"));
    // The day's template follows the plan day.
    for email in outcome.simulation.actions.emails() {
        assert_eq!(email.template, format!("day-{}", email.day));
    }
}

#[test]
fn variant_1_serves_past_audience_first_with_a_new_template_each_day() {
    let outcome = run("variant-1.yaml");
    assert_caps_hold(&outcome);
    let per_day = assert_one_email_a_day(&outcome, 14);
    assert_moved_stay_moved(&per_day);
    assert_only_consenting_with_email(&outcome);
    let templates: HashSet<String> = outcome
        .simulation
        .actions
        .emails()
        .into_iter()
        .map(|e| e.template)
        .collect();
    assert_eq!(templates.len(), 14);
}

#[test]
fn variant_2_never_sends_a_template_twice_to_anyone() {
    let outcome = run("variant-2.yaml");
    assert_caps_hold(&outcome);
    // 3,000 customers: a template's later days may find that everyone eligible had it, but
    // the first day of each of the four templates sends.
    let per_day = assert_one_email_a_day(&outcome, 0);
    for first in [1, 4, 8, 11] {
        assert!(per_day.contains_key(&NaiveDate::from_ymd_opt(2026, 12, first).unwrap()));
    }
    assert_only_consenting_with_email(&outcome);
    let mut seen = HashMap::new();
    for email in outcome.simulation.actions.emails() {
        if let Some(day) = seen.insert((email.customer, email.template.clone()), local_date(&email))
        {
            panic!(
                "customer {} got template {} on {day} and again on {}",
                email.customer,
                email.template,
                local_date(&email)
            );
        }
    }
    // Customers moved on days 1-3 are in the exclusion list: on day 4 (a new template) they
    // go first, so per provider either all of them are served, or only they are.
    let emails = outcome.simulation.actions.emails();
    let on = |days: &[u32], provider: &str| -> HashSet<u64> {
        emails
            .iter()
            .filter(|e| e.provider == provider)
            .filter(|e| {
                days.iter()
                    .any(|d| local_date(e).format("%-d").to_string() == d.to_string())
            })
            .map(|e| e.customer)
            .collect()
    };
    for provider in ["gmail", "microsoft", "yahoo", "apple", "other"] {
        let moved = on(&[1, 2, 3], provider);
        let served = on(&[4], provider);
        assert!(!served.is_empty());
        assert!(
            moved.is_subset(&served) || served.is_subset(&moved),
            "{provider}: new customers served on day 4 while moved ones waited"
        );
    }
}
