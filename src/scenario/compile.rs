//! From a scenario file's text to a compiled [`Scenario`], or every problem found.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use chrono_tz::Tz;
use petgraph::graph::DiGraph;

use super::check::days::{trigger_days, Days};
use super::check::{email, graph, limit, nodes, Cx};
use super::compiled::{CompiledNode, NodeKind, Scenario, ScenarioParts};
use super::model::{Node, ScenarioFile};
use super::project_check::{syntax, ProjectContext};
use super::read::read_scenario;
use super::time::parse_timezone;
use super::{yaml, Code, Diagnostics, Reporter, SourceFile, Span, YamlPath};
use crate::project::Project;

/// What compiling one file gave.
#[derive(Debug)]
pub struct FileOutcome {
    /// The scenario, when the file has no problems.
    pub scenario: Option<Scenario>,
    /// The scenario's name and where it is written, when readable.
    pub name: Option<(String, Span)>,
    /// The file.
    pub source: Arc<SourceFile>,
    /// Its problems.
    pub diagnostics: Diagnostics,
}

/// Compiles one file's text against a checked project.
pub fn compile_file(source: Arc<SourceFile>, project: &ProjectContext<'_>) -> FileOutcome {
    let mut outcome = FileOutcome {
        scenario: None,
        name: None,
        source: Arc::clone(&source),
        diagnostics: Diagnostics::new(),
    };
    let document = match yaml::parse(&source.text) {
        Ok(document) => document,
        Err(error) => {
            outcome.diagnostics.push(syntax(&source, error));
            return outcome;
        }
    };
    let mut reporter = Reporter::new(Arc::clone(&source), document.index.clone());
    if let Some(raw) = read_scenario(&document, &mut reporter) {
        let name_span = reporter.index.value(&YamlPath::root().key("name"));
        outcome.name = Some((raw.file.name.clone(), name_span));
        let scenario = Compiler::new(&mut reporter, project, &raw.file, &raw.broken)
            .run(&raw.written_ids, raw.complete);
        outcome.scenario = scenario.map(|parts| {
            Scenario::from_parts(ScenarioParts {
                source: source.text.clone(),
                ..parts
            })
        });
    }
    outcome.diagnostics = reporter.diagnostics;
    outcome.diagnostics.sort();
    if !outcome.diagnostics.is_empty() {
        outcome.scenario = None;
    }
    outcome
}

/// Compiles the text of a scenario file read from `path`, checking it against
/// `project`; the project file's own problems are part of the result.
pub fn compile_str(text: &str, path: &Path, project: &Project) -> Result<Scenario, Diagnostics> {
    let context = super::project_check::check_project(project);
    let mut diagnostics = context.diagnostics.clone();
    let outcome = compile_file(SourceFile::new(path, text), &context);
    diagnostics.extend(outcome.diagnostics);
    match outcome.scenario {
        Some(scenario) if diagnostics.is_empty() => Ok(scenario),
        _ => Err(diagnostics),
    }
}

struct Compiler<'r, 'p> {
    reporter: &'r mut Reporter,
    project: &'p ProjectContext<'p>,
    file: &'p ScenarioFile,
    tz: Tz,
    /// Top-level fields that could not be read (reported): checks against them are skipped.
    broken: &'p [String],
}

impl<'r, 'p> Compiler<'r, 'p> {
    fn new(
        reporter: &'r mut Reporter,
        project: &'p ProjectContext<'p>,
        file: &'p ScenarioFile,
        broken: &'p [String],
    ) -> Self {
        let tz = match &file.timezone {
            Some(name) => parse_timezone(name).unwrap_or_else(|message| {
                reporter.value(
                    &YamlPath::root().key("timezone"),
                    Code::InvalidTimezone,
                    None,
                    message,
                );
                project.tz
            }),
            None => project.tz,
        };
        Self {
            reporter,
            project,
            file,
            tz,
            broken,
        }
    }

    fn cx(&mut self) -> Cx<'_> {
        Cx {
            reporter: self.reporter,
            project: self.project.project,
            segments: &self.project.segments,
            tz: self.tz,
            params: (!self.broken.iter().any(|f| f == "params")).then_some(&self.file.params),
            plans: (!self.broken.iter().any(|f| f == "plans")).then_some(&self.file.plans),
            node: None,
        }
    }

    /// Every check; the parts of the scenario when nothing was reported.
    fn run(mut self, written_ids: &[String], complete: bool) -> Option<ScenarioParts> {
        let nodes_path = YamlPath::root().key("nodes");
        let file = self.file;
        let mut kinds: HashMap<&str, Option<NodeKind>> = HashMap::new();
        {
            let mut cx = self.cx();
            for (id, node) in &file.nodes {
                cx.node = Some(id.clone());
                kinds.insert(
                    id,
                    nodes::compile(&mut cx, node, &nodes_path.key(id.clone())),
                );
            }
        }
        let reach = graph::check(self.reporter, file, written_ids, complete);
        let days: BTreeMap<&str, Days> = kinds
            .iter()
            .filter_map(|(id, kind)| Some((*id, trigger_days(kind.as_ref()?, self.tz)?)))
            .collect();
        {
            let mut cx = self.cx();
            for (id, node) in &file.nodes {
                let triggers = reach.get(id.as_str()).into_iter().flatten();
                let reaching: Vec<(&String, Days)> = triggers
                    .filter_map(|t| Some((t, *days.get(t.as_str())?)))
                    .collect();
                cx.node = Some(id.clone());
                day_checks(&mut cx, node, &nodes_path.key(id.clone()), &reaching);
            }
        }
        if self.reporter.has_errors() {
            return None;
        }
        let graph = build_graph(file, kinds)?;
        Some(ScenarioParts {
            name: file.name.clone(),
            source: String::new(),
            timezone: self.tz,
            params: file.params.clone(),
            plans: file.plans.clone(),
            graph,
        })
    }
}

/// Checks that depend on the days the reaching triggers produce.
fn day_checks(cx: &mut Cx<'_>, node: &Node, path: &YamlPath, reaching: &[(&String, Days)]) {
    match node {
        Node::Limit(n) => {
            let Some(plan) = &n.plan else { return };
            for (trigger, days) in reaching {
                if let Days::Bounded(count) = days {
                    limit::plan_days(cx, plan, *count, trigger);
                }
            }
        }
        Node::Email(n) => {
            let days = reaching.iter().map(|(_, d)| *d).reduce(Days::union);
            if let Some(days) = days {
                email::template_exists(cx, n, path, days);
            }
        }
        _ => {}
    }
}

fn build_graph(
    file: &ScenarioFile,
    mut kinds: HashMap<&str, Option<NodeKind>>,
) -> Option<DiGraph<CompiledNode, super::compiled::Port>> {
    let mut graph = DiGraph::new();
    let mut index = HashMap::new();
    for (id, node) in &file.nodes {
        let kind = kinds.remove(id.as_str())??;
        let compiled = CompiledNode {
            id: id.clone(),
            name: node.name().map(str::to_owned),
            kind,
        };
        index.insert(id.as_str(), graph.add_node(compiled));
    }
    let nodes_path = YamlPath::root().key("nodes");
    for (id, node) in &file.nodes {
        for edge in graph::edges(node, &nodes_path.key(id.clone())) {
            graph.add_edge(
                index[id.as_str()],
                *index.get(edge.target.as_str())?,
                edge.port,
            );
        }
    }
    Some(graph)
}
