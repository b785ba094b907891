//! What the scenario files use, with the positions where they use it: auth schemas of webhook
//! nodes, e-mail nodes and their templates, Klaviyo list ids of preset calls.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::scenario::{yaml, SourceFile, Span, SpanIndex, YamlPath};

/// One scenario file, parsed for positions.
pub struct ScenarioFile {
    /// Its source (path and text), for diagnostics.
    pub source: Arc<SourceFile>,
    /// Positions of its paths.
    pub index: SpanIndex,
    /// `params` as written.
    pub params: Value,
    /// `plans` as written.
    pub plans: Value,
}

/// One node that needs something of the project.
pub struct NodeUse {
    /// The file it is written in.
    pub file: Arc<ScenarioFile>,
    /// Node id.
    pub node: String,
    /// The node as written.
    pub value: Value,
    /// Its YAML path.
    pub path: YamlPath,
}

impl NodeUse {
    /// `file:line:column` of a field of the node (the node itself when absent).
    pub fn location(&self, field: &str) -> String {
        let path = self.path.key(field);
        let span = if self.file.index.contains(&path) {
            self.file.index.value(&path)
        } else {
            self.file.index.key(&self.path)
        };
        location(&self.file.source, span)
    }

    /// The span of a field of the node (the node's key when absent).
    pub fn span(&self, field: &str) -> Span {
        let path = self.path.key(field);
        if self.file.index.contains(&path) {
            self.file.index.value(&path)
        } else {
            self.file.index.key(&self.path)
        }
    }

    /// The span of a nested field (e.g. `with.list_id`), else of the node's key.
    pub fn span_of(&self, fields: &[&str]) -> Span {
        let mut path = self.path.clone();
        for field in fields {
            path = path.key(*field);
        }
        if self.file.index.contains(&path) {
            self.file.index.value(&path)
        } else {
            self.file.index.key(&self.path)
        }
    }

    /// A text field of the node.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.value.get(field).and_then(Value::as_str)
    }
}

/// `path:line:column` of a span.
pub fn location(source: &SourceFile, span: Span) -> String {
    let (line, column) = source.line_column(span.offset);
    format!("{}:{line}:{column}", source.path.display())
}

/// Every node of the scenario files under `paths` (files that do not read or parse are
/// skipped: validation reports them).
pub fn nodes(paths: &[PathBuf]) -> Vec<NodeUse> {
    let (files, _) = crate::scenario::load::scenario_files(paths);
    let mut uses = Vec::new();
    for path in files {
        uses.extend(file_nodes(&path));
    }
    uses
}

fn file_nodes(path: &Path) -> Vec<NodeUse> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let Ok(document) = yaml::parse(&text) else {
        return Vec::new();
    };
    let file = Arc::new(ScenarioFile {
        source: SourceFile::new(path, text.as_str()),
        index: document.index,
        params: document.value.get("params").cloned().unwrap_or(Value::Null),
        plans: document.value.get("plans").cloned().unwrap_or(Value::Null),
    });
    let Some(nodes) = document.value.get("nodes").and_then(Value::as_object) else {
        return Vec::new();
    };
    nodes
        .iter()
        .map(|(id, value)| NodeUse {
            file: Arc::clone(&file),
            node: id.clone(),
            value: value.clone(),
            path: YamlPath::root().key("nodes").key(id.clone()),
        })
        .collect()
}
