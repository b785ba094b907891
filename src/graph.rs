//! Renders a compiled scenario's DAG as Graphviz dot or a Mermaid flowchart:
//! every node with its id, name and kind, every edge with its port label.

use std::fmt::Write;

use petgraph::visit::EdgeRef;

use crate::scenario::compiled::{CompiledNode, NodeKind};
use crate::scenario::Scenario;

/// Output format of `warmup graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum GraphFormat {
    /// Graphviz dot (`dot -Tsvg`).
    #[default]
    Dot,
    /// A Mermaid flowchart (renders in Markdown on most forges).
    Mermaid,
}

/// Renders `scenario` in `format`.
pub fn render(scenario: &Scenario, format: GraphFormat) -> String {
    match format {
        GraphFormat::Dot => dot(scenario),
        GraphFormat::Mermaid => mermaid(scenario),
    }
}

/// Graphviz dot: node ids are the scenario's ids.
pub fn dot(scenario: &Scenario) -> String {
    let graph = scenario.graph();
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", dot_quote(scenario.name()));
    let _ = writeln!(out, "  node [shape=box, fontname=\"Helvetica\"];");
    for index in graph.node_indices() {
        let node = &graph[index];
        let shape = match node.kind {
            _ if node.kind.is_trigger() => "oval",
            NodeKind::Condition(_) => "diamond",
            NodeKind::Limit(_) | NodeKind::Split(_) => "hexagon",
            _ => "box",
        };
        let _ = writeln!(
            out,
            "  {} [label={}, shape={shape}];",
            dot_quote(&node.id),
            dot_quote(&lines(node).join("\n"))
        );
    }
    for edge in graph.edge_references() {
        let _ = writeln!(
            out,
            "  {} -> {} [label={}];",
            dot_quote(&graph[edge.source()].id),
            dot_quote(&graph[edge.target()].id),
            dot_quote(&edge.weight().to_string())
        );
    }
    out.push_str("}\n");
    out
}

/// A Mermaid flowchart: node ids become `n0`, `n1`, …; labels carry the real ids.
pub fn mermaid(scenario: &Scenario) -> String {
    let graph = scenario.graph();
    let mut out = String::from("flowchart TD\n");
    for index in graph.node_indices() {
        let node = &graph[index];
        let label = mermaid_quote(&lines(node).join("<br/>"));
        let id = index.index();
        let _ = match node.kind {
            _ if node.kind.is_trigger() => writeln!(out, "  n{id}([{label}])"),
            NodeKind::Condition(_) => writeln!(out, "  n{id}{{{label}}}"),
            NodeKind::Limit(_) | NodeKind::Split(_) => writeln!(out, "  n{id}{{{{{label}}}}}"),
            _ => writeln!(out, "  n{id}[{label}]"),
        };
    }
    for edge in graph.edge_references() {
        let _ = writeln!(
            out,
            "  n{} -->|{}| n{}",
            edge.source().index(),
            mermaid_quote(&edge.weight().to_string()),
            edge.target().index()
        );
    }
    out
}

/// Id, name (if any) and kind.
fn lines(node: &CompiledNode) -> Vec<String> {
    // Numbered ids read as the reference template's node numbers: `#229`.
    let numbered = node.id.starts_with(|c: char| c.is_ascii_digit());
    let mut lines = vec![if numbered {
        format!("#{}", node.id)
    } else {
        node.id.clone()
    }];
    lines.extend(node.name.clone());
    lines.push(format!("({})", node.kind.name()));
    lines
}

fn dot_quote(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

fn mermaid_quote(text: &str) -> String {
    let escaped = text.replace('"', "#quot;");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_labels_intact() {
        assert_eq!(dot_quote("a \"b\"\nc\\"), r#""a \"b\"\nc\\""#);
        assert_eq!(mermaid_quote("say \"hi\""), "\"say #quot;hi#quot;\"");
    }
}
