//! A compiled scenario: validated, with times parsed, segments resolved and node
//! references turned into edges of a petgraph DAG.
//!
//! Only compilation (checking) builds a [`Scenario`]; its fields are private, so
//! code that holds one can rely on every invariant the checker enforces: the graph
//! is acyclic, every edge target exists, every node is reachable from a trigger,
//! every template compiles, every name it uses is defined.

mod node;
mod port;
mod predicate;

use std::collections::{BTreeMap, HashMap};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

pub use node::{
    AddEvent, CapSource, CompiledNode, Condition, Limit, NodeKind, OnDate, OnEvent, Priority,
    Repeat, Schedule, SetProperty, Split, Wait,
};
pub use port::Port;
pub use predicate::{EventFilter, EventTest, KlaviyoGroup, Predicate, PropertyTest, TimeRef};

/// A per-day plan table: group name to values for day 1, 2, 3, …
pub type PlanTable = BTreeMap<String, Vec<u64>>;

/// A compiled, validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    name: String,
    version: String,
    source: String,
    timezone: chrono_tz::Tz,
    params: BTreeMap<String, serde_json::Value>,
    plans: BTreeMap<String, PlanTable>,
    graph: DiGraph<CompiledNode, Port>,
    ids: HashMap<String, NodeIndex>,
    triggers: Vec<NodeIndex>,
}

/// The parts a compiler assembles into a [`Scenario`].
pub(crate) struct ScenarioParts {
    pub name: String,
    pub source: String,
    pub timezone: chrono_tz::Tz,
    pub params: BTreeMap<String, serde_json::Value>,
    pub plans: BTreeMap<String, PlanTable>,
    pub graph: DiGraph<CompiledNode, Port>,
}

impl Scenario {
    /// Assembles a scenario from a graph the compiler has validated.
    pub(crate) fn from_parts(parts: ScenarioParts) -> Self {
        let ids = parts
            .graph
            .node_indices()
            .map(|i| (parts.graph[i].id.clone(), i))
            .collect();
        let triggers = parts
            .graph
            .node_indices()
            .filter(|&i| parts.graph[i].kind.is_trigger())
            .collect();
        let version = version_of(&parts.source);
        Self {
            name: parts.name,
            version,
            source: parts.source,
            timezone: parts.timezone,
            params: parts.params,
            plans: parts.plans,
            graph: parts.graph,
            ids,
            triggers,
        }
    }

    /// The scenario's unique name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A short content hash of the source: runs are pinned to it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The YAML source the scenario was compiled from (stored with runs).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The time zone of its dates and times.
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.timezone
    }

    /// Template parameters (`params.NAME`).
    pub fn params(&self) -> &BTreeMap<String, serde_json::Value> {
        &self.params
    }

    /// Plan tables by name.
    pub fn plans(&self) -> &BTreeMap<String, PlanTable> {
        &self.plans
    }

    /// The DAG.
    pub fn graph(&self) -> &DiGraph<CompiledNode, Port> {
        &self.graph
    }

    /// The node at an index.
    pub fn node(&self, index: NodeIndex) -> &CompiledNode {
        &self.graph[index]
    }

    /// The index of a node id.
    pub fn index_of(&self, id: &str) -> Option<NodeIndex> {
        self.ids.get(id).copied()
    }

    /// Trigger nodes.
    pub fn triggers(&self) -> &[NodeIndex] {
        &self.triggers
    }

    /// Every node in flow order: each trigger followed by the nodes it reaches, depth first,
    /// ports in order (so `#229 -> #7 -> #19 -> cap -> …` reads like the scenario runs).
    pub fn flow_order(&self) -> Vec<NodeIndex> {
        let mut order = Vec::with_capacity(self.graph.node_count());
        let mut seen = vec![false; self.graph.node_count()];
        let mut stack: Vec<NodeIndex> = self.triggers.iter().rev().copied().collect();
        while let Some(index) = stack.pop() {
            if std::mem::replace(&mut seen[index.index()], true) {
                continue;
            }
            order.push(index);
            let mut next: Vec<(Port, NodeIndex)> = self
                .graph
                .edges(index)
                .map(|edge| (*edge.weight(), edge.target()))
                .collect();
            next.sort();
            stack.extend(next.into_iter().rev().map(|(_, target)| target));
        }
        order.extend(
            self.graph
                .node_indices()
                .filter(|index| !seen[index.index()]),
        );
        order
    }

    /// Where a port of a node leads, if anywhere.
    pub fn follow(&self, from: NodeIndex, port: Port) -> Option<NodeIndex> {
        self.graph
            .edges(from)
            .find(|edge| *edge.weight() == port)
            .map(|edge| edge.target())
    }
}

fn version_of(source: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(source.as_bytes());
    digest
        .iter()
        .take(6)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
