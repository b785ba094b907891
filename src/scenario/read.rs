//! Turns a parsed YAML document into the raw model, node by node, so one bad node
//! does not hide the problems of the others.

use serde_json::{Map as Mapping, Value};

use super::model::{Node, ScenarioFile};
use serde::de::DeserializeOwned;

use super::reporter::{deserialize_at, quote_all, suggest, Failure};
use super::{Code, Reporter, Segment, YamlDocument, YamlPath};

/// Every node `kind`.
pub const KINDS: &[&str] = &[
    "on_date",
    "repeat",
    "on_event",
    "condition",
    "wait",
    "limit",
    "split",
    "set_property",
    "add_event",
    "webhook",
    "email",
];

/// The raw model of a file, with what could be read.
#[derive(Debug)]
pub struct RawScenario {
    /// The file, holding the nodes that deserialized.
    pub file: ScenarioFile,
    /// Every node id written, in file order (also those that failed to deserialize).
    pub written_ids: Vec<String>,
    /// Whether every node deserialized.
    pub complete: bool,
    /// Top-level fields that were written wrong (reported) and read as empty.
    pub broken: Vec<String>,
}

/// Reads a scenario document; `None` when even its outline (name, nodes) is unusable.
pub fn read_scenario(document: &YamlDocument, reporter: &mut Reporter) -> Option<RawScenario> {
    report_key_problems(document, reporter);
    let root = YamlPath::root();
    let Value::Object(map) = &document.value else {
        let message = if document.value.is_null() {
            "the file is empty: a scenario needs `name` and `nodes`"
        } else {
            "a scenario file is a mapping with `name` and `nodes`"
        };
        reporter.value(&root, Code::InvalidValue, None, message);
        return None;
    };
    let nodes = map.get("nodes").and_then(Value::as_object);
    let mut outline = map.clone();
    if nodes.is_some() {
        outline.insert("nodes".into(), Value::Object(Mapping::new()));
    }
    let (mut file, broken) = read_outline(outline, reporter)?;
    let mut written_ids = Vec::new();
    let mut complete = true;
    let nodes_path = root.key("nodes");
    for (key, value) in nodes.into_iter().flatten() {
        let id = key.clone();
        written_ids.push(id.clone());
        match read_node(&id, value, &nodes_path.key(id.clone()), reporter) {
            Some(node) => {
                file.nodes.insert(id, node);
            }
            None => complete = false,
        }
    }
    Some(RawScenario {
        file,
        written_ids,
        complete,
        broken,
    })
}

/// Reads everything but the nodes; a wrong top-level field is reported, then read as
/// absent, so the nodes still get checked.
fn read_outline(
    mut outline: Mapping<String, Value>,
    reporter: &mut Reporter,
) -> Option<(ScenarioFile, Vec<String>)> {
    let root = YamlPath::root();
    let mut broken = Vec::new();
    // Each round removes or fills in one top-level field, so this ends.
    for _ in 0..outline.len() + 3 {
        let value = Value::Object(outline.clone());
        let (field, missing) = match reporter.try_deserialize::<ScenarioFile>(&value, &root, None) {
            Ok(file) => return Some((file, broken)),
            Err(Failure::Missing(path)) => (top_key(&path)?, true),
            Err(failure) => (top_key(failure.path())?, false),
        };
        if missing {
            let filler = if field == "nodes" {
                Value::Object(Mapping::new())
            } else {
                Value::String(String::new())
            };
            outline.insert(field.clone(), filler);
        } else {
            outline.remove(&field)?;
        }
        broken.push(field);
    }
    None
}

/// The top-level key a path starts with.
fn top_key(path: &YamlPath) -> Option<String> {
    match path.segments().first() {
        Some(Segment::Key(key)) => Some(key.clone()),
        _ => None,
    }
}

/// Duplicate keys, duplicate node ids and complex keys, found by the event parser.
pub fn report_key_problems(document: &YamlDocument, reporter: &mut Reporter) {
    let nodes = YamlPath::root().key("nodes");
    for duplicate in &document.duplicates {
        let (first_line, _) = reporter.source.line_column(duplicate.first.offset);
        if duplicate.parent == nodes {
            reporter
                .at(
                    duplicate.again,
                    Code::DuplicateNodeId,
                    Some(&duplicate.key),
                    format!("duplicate node id `{}`", duplicate.key),
                )
                .label = format!("first defined on line {first_line}");
        } else {
            reporter
                .at(
                    duplicate.again,
                    Code::DuplicateKey,
                    None,
                    format!(
                        "duplicate key `{}` in `{}`",
                        duplicate.key,
                        display(&duplicate.parent)
                    ),
                )
                .label = format!("first written on line {first_line}");
        }
    }
    for (path, span) in &document.complex_keys {
        reporter.at(
            *span,
            Code::InvalidValue,
            None,
            format!("a key in `{}` is not a plain string", display(path)),
        );
    }
}

fn display(path: &YamlPath) -> String {
    if path.segments().is_empty() {
        "the file".into()
    } else {
        path.to_string()
    }
}

/// Reads one node: its `kind` first, then the fields of that kind.
fn read_node(id: &str, value: &Value, path: &YamlPath, reporter: &mut Reporter) -> Option<Node> {
    let Value::Object(map) = value else {
        reporter.value(
            path,
            Code::InvalidValue,
            Some(id),
            "a node is a mapping with a `kind` and its fields",
        );
        return None;
    };
    let kind = match map.get("kind") {
        None => {
            reporter
                .key(path, Code::MissingField, Some(id), "missing field `kind`")
                .help = Some(format!("one of {}", quote_all(&kinds())));
            return None;
        }
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => {
            reporter.value(
                &path.key("kind"),
                Code::InvalidValue,
                Some(id),
                "`kind` is a string",
            );
            return None;
        }
    };
    let mut fields = map.clone();
    fields.remove("kind");
    read_kind(kind, &fields, id, path, reporter)
}

/// Deserializes the fields of a node of `kind`.
fn read_kind(
    kind: &str,
    fields: &Mapping<String, Value>,
    id: &str,
    path: &YamlPath,
    reporter: &mut Reporter,
) -> Option<Node> {
    let node = Some(id);
    Some(match kind {
        "on_date" => Node::OnDate(read_fields(fields, path, node, reporter)?),
        "repeat" => Node::Repeat(read_fields(fields, path, node, reporter)?),
        "on_event" => Node::OnEvent(read_fields(fields, path, node, reporter)?),
        "condition" => Node::Condition(read_fields(fields, path, node, reporter)?),
        "wait" => Node::Wait(read_fields(fields, path, node, reporter)?),
        "limit" => Node::Limit(read_fields(fields, path, node, reporter)?),
        "split" => Node::Split(read_fields(fields, path, node, reporter)?),
        "set_property" => Node::SetProperty(read_fields(fields, path, node, reporter)?),
        "add_event" => Node::AddEvent(read_fields(fields, path, node, reporter)?),
        "webhook" => Node::Webhook(read_fields(fields, path, node, reporter)?),
        "email" => Node::Email(read_fields(fields, path, node, reporter)?),
        unknown => {
            let diagnostic = reporter.value(
                &path.key("kind"),
                Code::UnknownKind,
                node,
                format!("unknown node kind `{unknown}`"),
            );
            diagnostic.label = "not a node kind".into();
            let help = suggest(unknown, &kinds());
            diagnostic.help =
                Some(help.unwrap_or_else(|| format!("one of {}", quote_all(&kinds()))));
            return None;
        }
    })
}

/// Deserializes a node's fields; after a failure it drops the field at fault and
/// tries again, so every wrong field of the node is reported, each once.
fn read_fields<T: DeserializeOwned>(
    fields: &Mapping<String, Value>,
    path: &YamlPath,
    node: Option<&str>,
    reporter: &mut Reporter,
) -> Option<T> {
    let mut fields = fields.clone();
    let mut dropped: Vec<String> = Vec::new();
    loop {
        let problem = match deserialize_at::<T>(&Value::Object(fields.clone()), path) {
            Ok(value) => return dropped.is_empty().then_some(value),
            Err(problem) => problem,
        };
        let Some(Segment::Key(field)) =
            problem.failure.path().segments().get(path.segments().len())
        else {
            reporter.report(&problem, node);
            return None;
        };
        // A field dropped for being wrong is now missing: that is no new problem.
        if matches!(problem.failure, Failure::Missing(_)) && dropped.contains(field) {
            return None;
        }
        reporter.report(&problem, node);
        let field = field.clone();
        fields.remove(&field)?;
        dropped.push(field);
    }
}

fn kinds() -> Vec<String> {
    KINDS.iter().map(|k| (*k).to_owned()).collect()
}
