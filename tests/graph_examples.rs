//! `warmup graph` renders the compiled DAG of every example with every node id,
//! name and port label.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use warmup::scenario::model::ScenarioFile;

fn graph(file: &str, format: &str) -> String {
    let output = Command::cargo_bin("warmup")
        .unwrap()
        .env_remove("WARMUP_PROJECT")
        .args(["graph", file, "--format", format])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    String::from_utf8(output).unwrap()
}

fn examples() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_graph_contains_every_node_and_edge() {
    for file in examples() {
        let model: ScenarioFile =
            serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let dot = graph(&file, "dot");
        let mermaid = graph(&file, "mermaid");
        assert!(dot.starts_with(&format!("digraph \"{}\" {{", model.name)));
        assert!(mermaid.starts_with("flowchart TD\n"));
        for (id, node) in &model.nodes {
            assert!(
                dot.contains(&format!("  \"{id}\" [label=")),
                "{file}: node {id} in dot"
            );
            let shown = if id.starts_with(|c: char| c.is_ascii_digit()) {
                format!("#{id}")
            } else {
                id.clone()
            };
            assert!(
                mermaid.contains(&format!("\"{shown}<br/>")),
                "{file}: node {id} in mermaid"
            );
            if let Some(name) = node.name() {
                assert!(dot.contains(name), "{file}: name {name}");
            }
            for (port, target) in node.edges() {
                let edge = format!("  \"{id}\" -> \"{target}\" [label=\"{port}\"];");
                assert!(dot.contains(&edge), "{file}: {edge}");
            }
        }
        let edges: usize = model.nodes.values().map(|n| n.edges().len()).sum();
        assert_eq!(mermaid.matches(" -->|").count(), edges, "{file}");
    }
}

#[test]
fn the_plan_driven_graph_in_mermaid() {
    insta::assert_snapshot!(graph("scenarios/plan-driven.yaml", "mermaid"));
}

#[test]
fn a_broken_file_is_not_graphed() {
    Command::cargo_bin("warmup")
        .unwrap()
        .env_remove("WARMUP_PROJECT")
        .args(["graph", "tests/fixtures/invalid/W0009-cycle.yaml"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("cycle: a -> b -> c -> a"));
    assert!(Path::new("tests/fixtures/invalid/W0009-cycle.yaml").exists());
}
