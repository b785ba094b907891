//! The engine's time rules on small in-memory audiences: waves decide at their due instant,
//! the `late` policy of e-mail nodes (default, `after`, `then: send`), one e-mail per customer
//! and local day across overlapping runs, `per: day` as the default of limits in `repeat`
//! runs, activation during a fire's day, and `late.after` checked by the compiler.

mod support;

use std::path::Path;
use std::sync::Arc;

use support::memory_engine::{at, engine, project};

use chrono::NaiveDate;
use serde_json::json;
use warmup::engine::{CapturingActions, CustomerView, Engine, MemoryCustomers, TickSummary};
use warmup::scenario::compile_str;

fn customers(n: u64) -> Arc<MemoryCustomers> {
    let customers = MemoryCustomers::new();
    for id in 1..=n {
        customers.insert(CustomerView {
            id,
            email: Some(format!("c{id}@gmail.com")),
            ..CustomerView::default()
        });
    }
    Arc::new(customers)
}

fn engine_of(yaml: &str, access: Arc<MemoryCustomers>) -> (Engine, Arc<CapturingActions>) {
    engine(yaml, access)
}

/// Ticks at each instant; the summed summary.
fn ticks(engine: &Engine, instants: &[&str]) -> TickSummary {
    let mut total = TickSummary::default();
    for instant in instants {
        let one = engine.tick(at(instant)).unwrap();
        total.emails += one.emails;
        total.late_skipped += one.late_skipped;
        total.duplicates_skipped += one.duplicates_skipped;
        total.missed_fires += one.missed_fires;
        total.runs_started += one.runs_started;
    }
    total
}

fn counter(engine: &Engine, node: &str, metric: &str) -> u64 {
    engine
        .state()
        .counters(None)
        .unwrap()
        .iter()
        .filter(|c| c.node == node && c.metric == metric)
        .map(|c| c.value)
        .sum()
}

fn mail_at_nine(late: &str) -> String {
    format!(
        r#"
name: nine
nodes:
  start: {{ kind: on_date, at: "2026-12-01T00:00", next: nine }}
  nine: {{ kind: wait, until: "09:00", next: mail }}
  mail: {{ kind: email, template: welcome{late} }}
"#
    )
}

#[test]
fn a_late_wave_decides_at_its_due_instant_and_sends_while_the_day_lasts() {
    let access = customers(4);
    let (engine, actions) = engine_of(&mail_at_nine(""), access.clone());
    // The fire is processed at 00:00:30; the 09:00 wave only at 18:00, still day 1.
    let done = ticks(
        &engine,
        &["2026-12-01T00:00:30+01:00", "2026-12-01T18:00:00+01:00"],
    );
    assert_eq!((done.emails, done.late_skipped), (4, 0));
    let emails = actions.emails();
    assert!(emails
        .iter()
        .all(|e| e.at == at("2026-12-01T09:00:00+01:00")));
    // The campaign event is at the due instant; when it really went out is beside it.
    let event = &access.events_of(1)[0];
    assert_eq!(event.timestamp, at("2026-12-01T09:00:00+01:00"));
    assert_eq!(
        event.properties["sent_at"],
        json!(at("2026-12-01T18:00:00+01:00").to_rfc3339())
    );
}

#[test]
fn by_default_a_send_is_skipped_once_its_local_day_is_over() {
    let (engine, actions) = engine_of(&mail_at_nine(""), customers(4));
    // The engine fired at midnight, then was down until the next day.
    let done = ticks(
        &engine,
        &["2026-12-01T00:00:30+01:00", "2026-12-02T00:10:00+01:00"],
    );
    assert_eq!((done.emails, done.late_skipped), (0, 4));
    assert!(actions.emails().is_empty());
    assert_eq!(counter(&engine, "mail", "late_skipped"), 4);
    let dates: Vec<NaiveDate> = engine
        .state()
        .counters(None)
        .unwrap()
        .iter()
        .filter(|c| c.metric == "late_skipped")
        .map(|c| c.date)
        .collect();
    assert!(dates
        .iter()
        .all(|d| *d == NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
}

#[test]
fn late_after_bounds_the_delay_and_then_send_sends_anyway() {
    let bounded = mail_at_nine(", late: { after: 3h }");
    let (engine, _) = engine_of(&bounded, customers(3));
    let done = ticks(
        &engine,
        &["2026-12-01T00:00:30+01:00", "2026-12-01T12:00:00+01:00"],
    );
    assert_eq!(
        (done.emails, done.late_skipped),
        (3, 0),
        "3 h late is in time"
    );
    let (engine, _) = engine_of(&bounded, customers(3));
    let done = ticks(
        &engine,
        &["2026-12-01T00:00:30+01:00", "2026-12-01T12:00:01+01:00"],
    );
    assert_eq!(
        (done.emails, done.late_skipped),
        (0, 3),
        "a second more is not"
    );
    let anyway = mail_at_nine(", late: { then: send }");
    let (engine, actions) = engine_of(&anyway, customers(3));
    let done = ticks(
        &engine,
        &["2026-12-01T00:00:30+01:00", "2026-12-03T10:00:00+01:00"],
    );
    assert_eq!((done.emails, done.late_skipped), (3, 0));
    // Still the day it was due on.
    assert!(actions
        .emails()
        .iter()
        .all(|e| e.at == at("2026-12-01T09:00:00+01:00")));
}

const TWICE_A_DAY: &str = r#"
name: twice
nodes:
  start: { kind: repeat, cron: "0 0,12 * * *", start: "2026-12-01", next: mail }
  mail: { kind: email, template: welcome }
"#;

#[test]
fn a_second_run_on_the_same_local_day_does_not_mail_a_customer_again() {
    let (engine, actions) = engine_of(TWICE_A_DAY, customers(5));
    let done = ticks(
        &engine,
        &[
            "2026-12-01T00:00:30+01:00",
            "2026-12-01T12:00:30+01:00",
            "2026-12-02T00:00:30+01:00",
        ],
    );
    assert_eq!(done.runs_started, 3);
    assert_eq!((done.emails, done.duplicates_skipped), (10, 5));
    assert_eq!(counter(&engine, "mail", "duplicate_skipped"), 5);
    assert_eq!(actions.emails().len(), 10);
}

fn capped(per: &str) -> String {
    format!(
        r#"
name: capped
nodes:
  start: {{ kind: repeat, cron: "0 0,12 * * *", start: "2026-12-01", next: cap }}
  cap: {{ kind: limit, cap: 3{per}, passed: flag }}
  flag: {{ kind: set_property, set: {{ passed: true }} }}
"#
    )
}

#[test]
fn limits_in_repeat_runs_count_per_local_day_unless_per_run_is_written() {
    let day = ["2026-12-01T00:00:30+01:00", "2026-12-01T12:00:30+01:00"];
    let (engine, _) = engine_of(&capped(""), customers(10));
    ticks(&engine, &day);
    assert_eq!(counter(&engine, "cap", "passed"), 3, "one cap for the day");
    let (engine, _) = engine_of(&capped(", per: run"), customers(10));
    ticks(&engine, &day);
    assert_eq!(counter(&engine, "cap", "passed"), 6, "a cap per run");
}

#[test]
fn a_scenario_activated_after_its_fire_on_the_same_day_runs_that_fire() {
    let plan = r#"
name: plan
nodes:
  start: { kind: repeat, at: "00:00", start: "2026-12-01", next: nine }
  nine: { kind: wait, until: "09:00", next: mail }
  mail: { kind: email, template: "day-{{ day }}" }
"#;
    let (engine, actions) = engine_of(plan, customers(2));
    // First seen at 09:30 on day 1: day 1's midnight fire runs, its e-mails go out at once.
    let done = ticks(&engine, &["2026-12-01T09:30:00+01:00"]);
    assert_eq!(
        (done.runs_started, done.emails, done.missed_fires),
        (1, 2, 0)
    );
    assert!(actions.emails().iter().all(|e| e.template == "day-1"));
    // Seen first on day 3: days 1 and 2 never run, and are not counted as missed.
    let (engine, actions) = engine_of(plan, customers(2));
    let done = ticks(&engine, &["2026-12-03T10:00:00+01:00"]);
    assert_eq!((done.runs_started, done.missed_fires), (1, 0));
    assert!(actions.emails().iter().all(|e| e.template == "day-3"));
}

#[test]
fn an_invalid_late_after_is_reported_with_its_code() {
    let error = match compile_str(
        &mail_at_nine(", late: { after: soon }"),
        Path::new("late.yaml"),
        &project(),
    ) {
        Ok(_) => panic!("an invalid `late.after` compiled"),
        Err(diagnostics) => diagnostics.to_string(),
    };
    assert!(
        error.contains("W0020") || error.contains("duration"),
        "{error}"
    );
}
