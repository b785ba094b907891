//! Every templated field is checked: a template naming an undefined variable root is
//! reported in each of them, at its own line.

use std::path::Path;

use warmup::project::Project;
use warmup::scenario::{compile_str, Code};

const SCENARIO: &str = r#"name: templated
params: { list: L1 }
nodes:
  start:
    kind: on_event
    event: purchase
    where: { sku: "{{ bogus.sku }}" }
    next: cond
  cond:
    kind: condition
    if:
      all:
        - expr: "bogus.vip"
        - { event: { type: campaign, where: { scenario: "{{ bogus.run }}" } } }
    yes: cap
  cap:
    kind: limit
    group_by: { template: "{{ bogus.region }}" }
    caps:
      north: "{{ bogus.north }}"
      default: 10
    passed: capped
  capped:
    kind: limit
    cap: "{{ bogus.cap }}"
    passed: pause
  pause:
    kind: wait
    template: "{{ bogus.until }}"
    next: flag
  flag:
    kind: set_property
    set:
      nested: { deep: ["{{ bogus.list }}"] }
    next: note
  note:
    kind: add_event
    event: noted
    properties:
      why: "{{ bogus.why }}"
    next: preset
  preset:
    kind: webhook
    preset: klaviyo.add_to_list
    auth: klaviyo
    with:
      list_id: "{{ bogus.list_id }}"
    next: raw
  raw:
    kind: webhook
    url: "https://hooks.example/{{ bogus.path }}"
    headers:
      X-Id: "{{ bogus.header }}"
    body:
      items: ["{{ bogus.body }}"]
    batch:
      size: 10
      item: { id: "{{ bogus.item }}" }
    next: mail
  mail:
    kind: email
    template: "{{ bogus.template }}"
    from: "{{ bogus.from }}"
    reply_to: "{{ bogus.reply_to }}"
    headers:
      X-Campaign: "{{ bogus.campaign }}"
"#;

#[test]
fn an_undefined_root_is_reported_in_every_templated_field() {
    let project = Project::load(Some(Path::new("warmup.yaml"))).unwrap();
    let diagnostics = compile_str(SCENARIO, Path::new("templated.yaml"), &project).unwrap_err();
    let mut reported: Vec<usize> = diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.code, Code::UndefinedVariable, "{d}");
            assert_eq!(d.message, "undefined template variable `bogus`");
            d.line
        })
        .collect();
    reported.dedup();
    let expected: Vec<usize> = SCENARIO
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains("bogus"))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(reported, expected);
}
