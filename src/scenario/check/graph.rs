//! The shape of the graph: edges lead to existing, non-trigger nodes; no cycles
//! (printed as the full path); every node reachable from a trigger.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::scenario::compiled::Port;
use crate::scenario::model::{Node, NodeId, ScenarioFile};
use crate::scenario::reporter::suggest;
use crate::scenario::{Code, Reporter, YamlPath};

/// One outgoing edge as written.
#[derive(Debug, Clone)]
pub struct Edge<'a> {
    /// The port.
    pub port: Port,
    /// Where the target id is written.
    pub path: YamlPath,
    /// The target id.
    pub target: &'a NodeId,
}

/// The outgoing edges of a node written at `path`, in port order.
pub fn edges<'a>(node: &'a Node, path: &YamlPath) -> Vec<Edge<'a>> {
    let simple = |ports: Vec<(Port, &'static str, &'a Option<NodeId>)>| -> Vec<Edge<'a>> {
        ports
            .into_iter()
            .filter_map(|(port, field, target)| {
                target.as_ref().map(|target| Edge {
                    port,
                    path: path.key(field),
                    target,
                })
            })
            .collect()
    };
    match node {
        Node::OnDate(n) => simple(vec![(Port::Next, "next", &n.next)]),
        Node::Repeat(n) => simple(vec![(Port::Next, "next", &n.next)]),
        Node::OnEvent(n) => simple(vec![(Port::Next, "next", &n.next)]),
        Node::Condition(n) => simple(vec![(Port::Yes, "yes", &n.yes), (Port::No, "no", &n.no)]),
        Node::Wait(n) => simple(vec![(Port::Next, "next", &n.next)]),
        Node::Limit(n) => simple(vec![
            (Port::Passed, "passed", &n.passed),
            (Port::Over, "over", &n.over),
        ]),
        Node::Split(n) => n
            .branches
            .iter()
            .enumerate()
            .filter_map(|(i, branch)| {
                branch.next.as_ref().map(|target| Edge {
                    port: Port::Branch(i),
                    path: path.key("branches").index(i).key("next"),
                    target,
                })
            })
            .collect(),
        Node::SetProperty(n) => simple(vec![(Port::Next, "next", &n.next)]),
        Node::AddEvent(n) => simple(vec![(Port::Next, "next", &n.next)]),
        Node::Webhook(n) => simple(vec![
            (Port::Next, "next", &n.next),
            (Port::OnFailure, "on_failure", &n.on_failure),
        ]),
        Node::Email(n) => simple(vec![
            (Port::Next, "next", &n.next),
            (Port::OnFailure, "on_failure", &n.on_failure),
        ]),
    }
}

/// Which triggers reach each node (triggers reach themselves).
pub type Reach = BTreeMap<String, BTreeSet<String>>;

/// Checks the graph of the nodes that deserialized; `complete` when all did (only
/// then is an unreachable node surely unreachable).
pub fn check(
    reporter: &mut Reporter,
    file: &ScenarioFile,
    written_ids: &[String],
    complete: bool,
) -> Reach {
    let nodes_path = YamlPath::root().key("nodes");
    let mut graph: DiGraph<&str, YamlPath> = DiGraph::new();
    let index: HashMap<&str, NodeIndex> = file
        .nodes
        .keys()
        .map(|id| (id.as_str(), graph.add_node(id.as_str())))
        .collect();
    let written: HashSet<&str> = written_ids.iter().map(String::as_str).collect();
    for (id, node) in &file.nodes {
        for edge in edges(node, &nodes_path.key(id.clone())) {
            if !written.contains(edge.target.as_str()) {
                let help = suggest(edge.target, written_ids);
                reporter
                    .value(
                        &edge.path,
                        Code::MissingNode,
                        Some(id),
                        format!(
                            "edge `{}` leads to missing node `{}`",
                            edge.port, edge.target
                        ),
                    )
                    .help = help;
                continue;
            }
            match file.nodes.get(edge.target) {
                Some(target) if target.is_trigger() => {
                    reporter.value(
                        &edge.path,
                        Code::EdgeIntoTrigger,
                        Some(id),
                        format!(
                            "edge `{}` leads into trigger `{}`; triggers only start runs",
                            edge.port, edge.target
                        ),
                    );
                }
                Some(_) => {
                    graph.add_edge(index[id.as_str()], index[edge.target.as_str()], edge.path);
                }
                None => {}
            }
        }
    }
    cycles(reporter, &graph);
    let reach = reach(&graph, file);
    if complete {
        unreachable(reporter, file, &reach, &nodes_path);
    }
    reach
}

fn cycles(reporter: &mut Reporter, graph: &DiGraph<&str, YamlPath>) {
    // Kosaraju walks iteratively; Tarjan in petgraph recurses once per node of a chain.
    for component in petgraph::algo::kosaraju_scc(graph) {
        let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
        let Some(&start) = component.iter().min_by_key(|&&i| graph[i]) else {
            continue;
        };
        let self_loop = graph.find_edge(start, start).is_some();
        if members.len() < 2 && !self_loop {
            continue;
        }
        let Some((path, closing)) = shortest_cycle(graph, start, &members) else {
            continue;
        };
        let names: Vec<&str> = path
            .iter()
            .map(|&i| graph[i])
            .chain(std::iter::once(graph[start]))
            .collect();
        let last = graph[*path.last().unwrap_or(&start)];
        reporter
            .value(
                &closing,
                Code::Cycle,
                Some(last),
                format!("cycle: {}", names.join(" -> ")),
            )
            .help = Some(
            "a scenario is a DAG: a customer never revisits a node; remove one edge of the cycle"
                .into(),
        );
    }
}

/// The shortest path start -> … -> x with an edge x -> start, and that edge's path.
fn shortest_cycle(
    graph: &DiGraph<&str, YamlPath>,
    start: NodeIndex,
    members: &BTreeSet<NodeIndex>,
) -> Option<(Vec<NodeIndex>, YamlPath)> {
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(current) = queue.pop_front() {
        let mut out: Vec<_> = graph.edges(current).collect();
        out.sort_by_key(|e| graph[e.target()]);
        for edge in out {
            let next = edge.target();
            if next == start {
                let mut path = vec![current];
                while let Some(&p) = parent.get(path.last()?) {
                    path.push(p);
                }
                path.reverse();
                return Some((path, edge.weight().clone()));
            }
            if members.contains(&next) && !parent.contains_key(&next) {
                parent.insert(next, current);
                queue.push_back(next);
            }
        }
    }
    None
}

fn reach(graph: &DiGraph<&str, YamlPath>, file: &ScenarioFile) -> Reach {
    let mut reach = Reach::new();
    for trigger in graph
        .node_indices()
        .filter(|&i| file.nodes[graph[i]].is_trigger())
    {
        let mut bfs = petgraph::visit::Bfs::new(graph, trigger);
        while let Some(i) = bfs.next(graph) {
            reach
                .entry(graph[i].to_owned())
                .or_default()
                .insert(graph[trigger].to_owned());
        }
    }
    reach
}

fn unreachable(reporter: &mut Reporter, file: &ScenarioFile, reach: &Reach, nodes_path: &YamlPath) {
    if !file.nodes.values().any(Node::is_trigger) {
        if !file.nodes.is_empty() {
            reporter
                .key(
                    nodes_path,
                    Code::NoTrigger,
                    None,
                    "the scenario has no trigger (`on_date`, `repeat` or `on_event`)",
                )
                .help = Some("no customer would ever enter it".into());
        }
        return;
    }
    for id in file.nodes.keys().filter(|id| !reach.contains_key(*id)) {
        reporter
            .key(
                &nodes_path.key(id.clone()),
                Code::Unreachable,
                Some(id),
                format!("node `{id}` is unreachable from every trigger"),
            )
            .help =
            Some("point an edge (`next`, `yes`, …) of a reachable node at it, or remove it".into());
    }
}
