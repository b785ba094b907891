//! Valid files compile into the DAG the engine runs.

use std::path::{Path, PathBuf};

use warmup::project::Project;
use warmup::scenario::compiled::{CapSource, NodeKind, Port, Schedule, Wait};
use warmup::scenario::{compile_str, load_scenarios};

fn project() -> Project {
    Project::load(Some(Path::new("warmup.yaml"))).expect("the example project loads")
}

#[test]
fn the_example_scenarios_compile() {
    let project = project();
    let scenarios = load_scenarios(&project, &[PathBuf::from("scenarios")])
        .unwrap_or_else(|d| panic!("{}", d.render(false)));
    let names: Vec<&str> = scenarios.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "klaviyo-warmup-plan",
            "klaviyo-warmup-variant-1",
            "klaviyo-warmup-variant-2"
        ]
    );
    let plan = &scenarios[0];
    assert_eq!(plan.timezone(), chrono_tz::Europe::Prague);
    let trigger = plan.index_of("229").expect("node 229");
    assert_eq!(plan.triggers().len(), 2);
    let NodeKind::Repeat(repeat) = &plan.node(trigger).kind else {
        panic!("229 is a repeat trigger")
    };
    assert!(matches!(repeat.schedule, Schedule::Daily(t) if t.to_string() == "00:00:00"));
    // #19 -> #40 past audience -> the limit.
    let past = plan
        .follow(plan.index_of("19").unwrap(), Port::Yes)
        .unwrap();
    assert_eq!(plan.node(past).id, "40");
    let cap = plan.follow(past, Port::Yes).unwrap();
    let NodeKind::Limit(limit) = &plan.node(cap).kind else {
        panic!("40 leads to the limit")
    };
    assert!(matches!(&limit.caps, CapSource::Plan(name) if name == "warmup"));
    let wait = plan
        .follow(plan.index_of("225").unwrap(), Port::Next)
        .unwrap();
    assert!(
        matches!(plan.node(wait).kind, NodeKind::Wait(Wait::Until(t)) if t.to_string() == "09:00:00")
    );
    assert_eq!(plan.plans()["warmup"]["gmail"].len(), 14);
}

const EVERY_KIND: &str = r#"
name: every-kind
timezone: America/New_York
params: { list: L1 }
plans:
  ramp: { gmail: [1, 2, 3], other: [1, 2, 3] }
nodes:
  start: { kind: on_date, at: "2026-12-01T08:30", next: cond }
  daily: { kind: repeat, cron: "0 6 * * 1-5", start: "2026-12-01", end: "2026-12-03", catch_up: skip, next: cond }
  signup: { kind: on_event, event: consent, where: { action: [accept, reject], category: newsletter }, next: cond }
  cond:
    kind: condition
    if:
      all:
        - consent: newsletter
        - { property: email, exists: true }
        - { property: last_open, after: 30d }
        - { property: orders, gte: 2, lt: 10 }
        - not: { event: { type: campaign, where: { action: delivered }, within: 7d, min: 1 } }
        - any: [ { segment: active }, { mailbox_provider: [gmail, yahoo] }, { expr: "day > 1" } ]
    yes: cap
    no: split
  cap:
    kind: limit
    group_by: mailbox_provider
    per: day
    plan: ramp
    priority: [ { recent: last_open }, { highest: orders } ]
    guard: { max_bounce_rate: 0.03, action: step_back }
    passed: wait
    over: split
  split:
    kind: split
    branches:
      - { name: test, percent: 10, next: flag }
      - { percent: 90 }
  flag: { kind: set_property, set: { warmup_day: "{{ day }}" }, next: note }
  note: { kind: add_event, event: warmup, properties: { day: "{{ day }}" } }
  wait: { kind: wait, for: 1d, next: hook }
  hook:
    kind: webhook
    preset: klaviyo.add_to_list
    auth: klaviyo
    with: { list_id: "{{ params.list }}" }
    batch: { size: 500 }
    retry: { max_attempts: 3, initial_backoff: 500ms }
    next: mail
    on_failure: raw
  raw:
    kind: webhook
    method: PUT
    url: "https://hooks.example/{{ customer.id }}"
    headers: { X-Day: "{{ day }}" }
    body: { email: "{{ customer.email }}" }
  mail: { kind: email, template: welcome, next: later }
  later: { kind: wait, until: "09:00", next: final }
  final: { kind: wait, at: "2026-12-24T18:00", next: computed }
  computed: { kind: wait, template: "{{ customer.next_visit }}" }
"#;

#[test]
fn every_node_kind_parses_and_compiles() {
    let scenario = compile_str(EVERY_KIND, Path::new("every-kind.yaml"), &project())
        .unwrap_or_else(|d| panic!("{}", d.render(false)));
    let mut kinds: Vec<&str> = scenario
        .graph()
        .node_weights()
        .map(|n| n.kind.name())
        .collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "add_event",
            "condition",
            "email",
            "limit",
            "on_date",
            "on_event",
            "repeat",
            "set_property",
            "split",
            "wait",
            "webhook"
        ]
    );
    assert_eq!(scenario.timezone(), chrono_tz::America::New_York);
    assert_eq!(scenario.triggers().len(), 3);
    let split = scenario.index_of("split").unwrap();
    let flag = scenario.follow(split, Port::Branch(0)).unwrap();
    assert_eq!(scenario.node(flag).id, "flag");
    assert_eq!(scenario.follow(split, Port::Branch(1)), None);
    let hook = scenario.index_of("hook").unwrap();
    assert_eq!(
        scenario
            .node(scenario.follow(hook, Port::OnFailure).unwrap())
            .id,
        "raw"
    );
    let wait = scenario.index_of("wait").unwrap();
    assert!(
        matches!(scenario.node(wait).kind, NodeKind::Wait(Wait::For(d)) if d.as_secs() == 86_400)
    );
    assert_eq!(scenario.graph().edge_count(), 15);
}

#[test]
fn every_wrong_field_of_every_node_is_reported_at_once() {
    let text = "name: t\ndescripton: typo\nnodes:\n  start: { kind: on_date, at: 12, nxt: hook, catch_up: never }\n  hook:\n    kind: webhook\n    url: \"x\"\n    methd: GET\n    batch: { size: -1 }\n";
    let diagnostics = compile_str(text, Path::new("t.yaml"), &project()).unwrap_err();
    let found: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {}:{} {}",
                d.code,
                d.line,
                d.column,
                d.node.as_deref().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "W0002 2:1 -",
            "W0004 4:31 start",
            "W0002 4:35 start",
            "W0004 4:56 start",
            "W0002 8:5 hook",
            "W0004 9:20 hook",
        ]
    );
}
