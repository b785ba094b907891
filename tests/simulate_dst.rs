//! A daily trigger on the days the clocks change fires once, at the instant DESIGN §4 gives:
//! a local time in the spring-forward gap runs at the first instant after the gap, an
//! ambiguous one in the fall-back fold at the earlier instant.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use warmup::engine::{simulate, CustomerAccess, CustomerView, MemoryCustomers};
use warmup::project::Project;
use warmup::scenario::compile_str;

const SCENARIO: &str = r#"
name: dst-check
nodes:
  daily:
    kind: repeat
    at: "02:30"
    next: flag
  flag:
    kind: set_property
    set: { last_daily: "{{ day }}" }
"#;

fn fires(from: (i32, u32, u32), days: u32) -> Vec<(NaiveDate, DateTime<Utc>, Option<u32>)> {
    let project = Project::load(Some(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("warmup.yaml"),
    ))
    .unwrap();
    let scenario = compile_str(SCENARIO, Path::new("dst.yaml"), &project).unwrap();
    let customers = MemoryCustomers::new();
    customers.insert(CustomerView {
        id: 1,
        email: Some("a@gmail.com".into()),
        ..CustomerView::default()
    });
    let compiler_project = project.clone();
    let simulation = simulate(
        Arc::new(customers) as Arc<dyn CustomerAccess>,
        vec![scenario],
        project.mailbox_providers(),
        Box::new(move |s| {
            compile_str(s, Path::new("stored"), &compiler_project).map_err(|d| d.to_string())
        }),
        NaiveDate::from_ymd_opt(from.0, from.1, from.2).unwrap(),
        days,
        false,
    )
    .unwrap();
    simulation
        .engine
        .state()
        .runs()
        .unwrap()
        .into_iter()
        .map(|run| (run.local_date, run.fired_at, run.day))
        .collect()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn spring_forward_runs_once_right_after_the_gap() {
    let runs = fires((2026, 3, 28), 3);
    let dates: Vec<String> = runs.iter().map(|r| r.0.to_string()).collect();
    assert_eq!(dates, ["2026-03-28", "2026-03-29", "2026-03-30"]);
    // 02:30 CET = 01:30 UTC; on the 29th 02:30 does not exist: 03:00 CEST = 01:00 UTC.
    assert_eq!(runs[0].1, utc("2026-03-28T01:30:00Z"));
    assert_eq!(runs[1].1, utc("2026-03-29T01:00:00Z"));
    assert_eq!(runs[2].1, utc("2026-03-30T00:30:00Z"));
    assert_eq!(
        runs.iter().map(|r| r.2).collect::<Vec<_>>(),
        [Some(1), Some(2), Some(3)]
    );
}

#[test]
fn fall_back_runs_once_at_the_earlier_instant() {
    let runs = fires((2026, 10, 24), 3);
    let dates: Vec<String> = runs.iter().map(|r| r.0.to_string()).collect();
    assert_eq!(dates, ["2026-10-24", "2026-10-25", "2026-10-26"]);
    // 02:30 happens twice on the 25th (CEST, then CET): the first one, 00:30 UTC.
    assert_eq!(runs[1].1, utc("2026-10-25T00:30:00Z"));
    assert_eq!(runs[2].1, utc("2026-10-26T01:30:00Z"));
}
