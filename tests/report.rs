//! The simulation report: table and JSON snapshots, the SVG chart read back as XML.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use warmup::report::{DayReport, NodeCount, SimulationReport};

fn map(entries: &[(&str, u64)]) -> BTreeMap<String, u64> {
    entries.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn node(
    node: &str,
    label: &str,
    kind: &str,
    entered: u64,
    ports: &[(&str, u64)],
    failed: u64,
) -> NodeCount {
    NodeCount {
        scenario: "plan-driven".to_string(),
        node: node.to_string(),
        label: label.to_string(),
        kind: kind.to_string(),
        entered,
        ports: map(ports),
        failed,
    }
}

/// A 14-day plan-driven ramp over 850,000 customers: gmail and seznam follow plan caps,
/// `other` has none.
fn ramp() -> SimulationReport {
    let from = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
    let days = (0..14u64)
        .map(|i| {
            let gmail_cap = 1_000 * (i + 1) * (i + 1);
            let seznam_cap = 500 * (i + 1);
            let gmail = gmail_cap.min(400_000);
            let seznam = seznam_cap - i % 3;
            let other = 50 * i;
            let consented = 620_000;
            let passed = gmail + seznam + other;
            DayReport {
                date: from + Duration::days(i as i64),
                nodes: vec![
                    node(
                        "daily",
                        "daily (Daily send)",
                        "repeat",
                        850_000,
                        &[("next", 850_000)],
                        0,
                    ),
                    node(
                        "7",
                        "7 (consent and email)",
                        "condition",
                        850_000,
                        &[("yes", consented), ("no", 850_000 - consented)],
                        0,
                    ),
                    node(
                        "ramp",
                        "ramp (Plan caps)",
                        "limit",
                        consented,
                        &[("pass", passed), ("over", consented - passed)],
                        0,
                    ),
                    node(
                        "send",
                        "send (Warm-up e-mail)",
                        "email",
                        passed,
                        &[("next", passed - i)],
                        i,
                    ),
                    node("flag", "flag", "set_property", passed - i, &[], 0),
                ],
                sends: map(&[("gmail", gmail), ("seznam", seznam), ("other", other)]),
                caps: map(&[("gmail", gmail_cap), ("seznam", seznam_cap)]),
            }
        })
        .collect();
    SimulationReport { from, days }
}

#[test]
fn table_of_a_fourteen_day_ramp() {
    insta::assert_snapshot!(ramp().render_table());
}

#[test]
fn table_marks_over_cap_and_missing_nodes() {
    let mut report = ramp();
    report.days.truncate(3);
    report.days[1].sends.insert("seznam".to_string(), 1_500);
    report.days[2].nodes.pop();
    report.days[0].caps.remove("gmail");
    let table = report.render_table();
    assert!(table.contains("1,500!"), "{table}");
    assert!(table.contains("! sent more than the cap"), "{table}");
    insta::assert_snapshot!(table);
}

#[test]
fn table_of_nothing_simulated() {
    let report = SimulationReport {
        from: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        days: Vec::new(),
    };
    assert_eq!(
        report.render_table(),
        "Simulation 2026-12-01 to 2026-12-01 (0 days)\n"
    );
}

#[test]
fn json_of_two_days_round_trips() {
    let mut report = ramp();
    report.days.truncate(2);
    let json = report.to_json();
    let back: SimulationReport = serde_json::from_str(&json).expect("report JSON parses");
    assert_eq!(back, report);
    insta::assert_snapshot!(json);
}

/// Reads a `points` attribute.
fn points(text: &str) -> Vec<(f64, f64)> {
    text.split_whitespace()
        .map(|pair| {
            let (x, y) = pair.split_once(',').expect("x,y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.01
}

#[test]
fn svg_chart_draws_each_provider_and_its_caps_to_scale() {
    let report = ramp();
    let svg = report.render_svg();
    let doc = roxmltree::Document::parse(&svg).expect("the chart is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let all: Vec<_> = root.descendants().filter(|n| n.is_element()).collect();
    assert!(
        all.iter()
            .all(|n| n.attribute("href").is_none() && n.tag_name().name() != "script"),
        "self-contained: no references, no scripts"
    );
    let class = |name: &str| -> Vec<roxmltree::Node<'_, '_>> {
        all.iter()
            .copied()
            .filter(|n| n.attribute("class") == Some(name))
            .collect()
    };
    let title = class("title");
    assert_eq!(
        title[0].text(),
        Some("E-mails sent per mailbox provider, 2026-12-01 to 2026-12-14")
    );

    // The value scale, read from the gridlines: value -> y is linear.
    let grid: Vec<(f64, f64)> = class("grid")
        .iter()
        .map(|g| {
            let value: f64 = g
                .attribute("data-value")
                .expect("value")
                .parse()
                .expect("number");
            (
                value,
                g.attribute("y1").expect("y").parse().expect("number"),
            )
        })
        .collect();
    let (v0, y0) = grid[0];
    let (v1, y1) = grid[grid.len() - 1];
    assert_eq!(v0, 0.0);
    assert!(
        v1 >= 196_000.0,
        "the axis covers the largest cap (gmail, day 14)"
    );
    let y_of = |value: u64| y0 + (y1 - y0) * (value as f64 - v0) / (v1 - v0);
    assert_eq!(class("y-label").len(), grid.len());

    // Day positions, read from the labels under the axis.
    let labels = class("x-label");
    assert_eq!(labels.len(), 14);
    assert_eq!(labels[0].text(), Some("12-01"));
    assert_eq!(labels[13].text(), Some("12-14"));
    let x_of: Vec<f64> = labels
        .iter()
        .map(|l| l.attribute("x").expect("x").parse().expect("number"))
        .collect();

    for provider in ["gmail", "other", "seznam"] {
        let line = class("sends")
            .into_iter()
            .find(|n| n.attribute("data-provider") == Some(provider))
            .expect("one sends line per provider");
        assert_eq!(line.tag_name().name(), "polyline");
        let drawn = points(line.attribute("points").expect("points"));
        assert_eq!(drawn.len(), report.days.len());
        for ((x, y), (day, day_x)) in drawn.iter().zip(report.days.iter().zip(&x_of)) {
            assert!(
                close(*x, *day_x),
                "{provider} on {}: x {x} vs label {day_x}",
                day.date
            );
            let sent = day.sends[provider];
            assert!(
                close(*y, y_of(sent)),
                "{provider} on {}: y {y} for {sent}",
                day.date
            );
        }
        let legend = class("legend")
            .into_iter()
            .find(|n| n.attribute("data-provider") == Some(provider))
            .expect("legend entry");
        let colour = |n: roxmltree::Node<'_, '_>| {
            n.descendants()
                .find_map(|d| d.attribute("stroke"))
                .map(str::to_string)
        };
        assert_eq!(colour(legend), line.attribute("stroke").map(str::to_string));
    }
    let colours: std::collections::BTreeSet<_> = class("sends")
        .iter()
        .filter_map(|n| n.attribute("stroke"))
        .collect();
    assert_eq!(colours.len(), 3, "each provider has its own colour");

    let caps = class("cap");
    assert_eq!(caps.len(), 2, "gmail and seznam have caps; other has none");
    for cap in caps {
        assert_eq!(cap.attribute("stroke-dasharray"), Some("6 4"));
        let provider = cap.attribute("data-provider").expect("provider");
        let drawn = points(cap.attribute("points").expect("points"));
        assert_eq!(drawn.len(), 14);
        for ((_, y), day) in drawn.iter().zip(&report.days) {
            assert!(
                close(*y, y_of(day.caps[provider])),
                "{provider} cap on {}",
                day.date
            );
        }
    }
}

#[test]
fn svg_chart_escapes_names_and_breaks_caps_where_there_are_none() {
    let mut report = ramp();
    report.days.truncate(5);
    for day in &mut report.days {
        let sent = day.sends.remove("gmail").expect("gmail");
        day.sends.insert("<Gmail & Co>".to_string(), sent);
    }
    report.days[2].caps.remove("seznam");
    report.days[4].caps.remove("seznam");
    let svg = report.render_svg();
    let doc = roxmltree::Document::parse(&svg).expect("names are escaped");
    let providers: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("sends"))
        .filter_map(|n| n.attribute("data-provider"))
        .collect();
    assert_eq!(providers, ["<Gmail & Co>", "gmail", "other", "seznam"]);
    let seznam_caps: Vec<usize> = doc
        .descendants()
        .filter(|n| {
            n.attribute("class") == Some("cap") && n.attribute("data-provider") == Some("seznam")
        })
        .map(|n| points(n.attribute("points").expect("points")).len())
        .collect();
    assert_eq!(
        seznam_caps,
        [2, 2],
        "days 1-2, then day 4 alone as a short dash"
    );
}
