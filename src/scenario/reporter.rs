//! Collects the diagnostics of one file, turning YAML paths into positions.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::{Code, Diagnostic, Diagnostics, SourceFile, Span, SpanIndex, YamlPath};

/// Diagnostics of one file, positioned through its span index.
#[derive(Debug)]
pub struct Reporter {
    /// The file.
    pub source: Arc<SourceFile>,
    /// Its positions.
    pub index: SpanIndex,
    /// What was found so far.
    pub diagnostics: Diagnostics,
}

impl Reporter {
    /// A reporter for a file.
    pub fn new(source: Arc<SourceFile>, index: SpanIndex) -> Self {
        Self {
            source,
            index,
            diagnostics: Diagnostics::new(),
        }
    }

    /// Reports at a span and returns the diagnostic for refinement.
    pub fn at(
        &mut self,
        span: Span,
        code: Code,
        node: Option<&str>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let diagnostic = Diagnostic::new(&self.source, span, code, message.into()).with_node(node);
        self.diagnostics.push(diagnostic);
        self.diagnostics.last_mut().expect("just pushed")
    }

    /// Reports at the value of `path`.
    pub fn value(
        &mut self,
        path: &YamlPath,
        code: Code,
        node: Option<&str>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let span = self.index.value(path);
        self.at(span, code, node, message)
    }

    /// Reports at the key of `path`.
    pub fn key(
        &mut self,
        path: &YamlPath,
        code: Code,
        node: Option<&str>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let span = self.index.key(path);
        self.at(span, code, node, message)
    }

    /// Whether anything was reported.
    pub fn has_errors(&self) -> bool {
        !self.diagnostics.is_empty()
    }

    /// Deserializes `value` (found at `path`) into `T`, reporting a failure at the exact
    /// key or value it concerns.
    pub fn deserialize<T: DeserializeOwned>(
        &mut self,
        value: &serde_json::Value,
        path: &YamlPath,
        node: Option<&str>,
    ) -> Option<T> {
        self.try_deserialize(value, path, node).ok()
    }

    /// Like [`Reporter::deserialize`], telling what failed.
    pub fn try_deserialize<T: DeserializeOwned>(
        &mut self,
        value: &serde_json::Value,
        path: &YamlPath,
        node: Option<&str>,
    ) -> Result<T, Failure> {
        deserialize_at(value, path).map_err(|problem| {
            self.report(&problem, node);
            problem.failure
        })
    }

    /// Reports a deserialization problem.
    pub fn report(&mut self, problem: &Problem, node: Option<&str>) {
        let message = &problem.message;
        match &problem.failure {
            Failure::Unknown(path) => {
                let field = match path.segments().last() {
                    Some(super::Segment::Key(key)) => key.clone(),
                    _ => String::new(),
                };
                let expected = expected_names(message);
                let diagnostic = self.key(
                    path,
                    Code::UnknownField,
                    node,
                    format!("unknown field `{field}`"),
                );
                diagnostic.label = "not a field here".into();
                diagnostic.help = suggest(&field, &expected).or_else(|| {
                    (!expected.is_empty())
                        .then(|| format!("expected one of {}", quote_all(&expected)))
                });
            }
            Failure::Missing(path) => {
                let field = match path.segments().last() {
                    Some(super::Segment::Key(key)) => key.clone(),
                    _ => String::new(),
                };
                self.key(
                    &path.parent(),
                    Code::MissingField,
                    node,
                    format!("missing field `{field}`"),
                )
                .label = format!("`{field}` is required here");
            }
            Failure::Invalid(path) => {
                let diagnostic = self.value(
                    path,
                    Code::InvalidValue,
                    node,
                    format!("`{path}`: {message}"),
                );
                diagnostic.label = "wrong type or value".into();
                if let Some(rest) = message.strip_prefix("unknown variant `") {
                    let variant = rest.split('`').next().unwrap_or_default();
                    diagnostic.help = suggest(variant, &expected_names(rest));
                }
            }
        }
    }
}

/// What a failed deserialization was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// This key is not a field.
    Unknown(YamlPath),
    /// This required field (the path's last key) is absent.
    Missing(YamlPath),
    /// The value at this path has the wrong type or value.
    Invalid(YamlPath),
}

impl Failure {
    /// The path of the key or value at fault.
    pub fn path(&self) -> &YamlPath {
        match self {
            Failure::Unknown(path) | Failure::Missing(path) | Failure::Invalid(path) => path,
        }
    }
}

/// A deserialization failure, not yet reported.
#[derive(Debug, Clone)]
pub struct Problem {
    /// What and where.
    pub failure: Failure,
    /// serde's explanation.
    pub message: String,
}

/// Deserializes `value` (found at `path`) into `T`, or says what is wrong where.
pub fn deserialize_at<T: DeserializeOwned>(
    value: &serde_json::Value,
    path: &YamlPath,
) -> Result<T, Problem> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|error| {
        let mut at = path.clone();
        for segment in error.path().iter() {
            match segment {
                serde_path_to_error::Segment::Map { key } => at = at.key(key.clone()),
                serde_path_to_error::Segment::Seq { index } => at = at.index(*index),
                _ => {}
            }
        }
        classify(at, &error.into_inner().to_string())
    })
}

/// Classifies a serde message found at `path`.
fn classify(path: YamlPath, message: &str) -> Problem {
    let message = strip_location(message).to_owned();
    let field = |rest: &str| rest.split('`').next().unwrap_or_default().to_owned();
    let failure = if let Some(rest) = message.strip_prefix("unknown field `") {
        let field = field(rest);
        // The path may or may not end at the unknown key already.
        if path.segments().last() == Some(&super::Segment::Key(field.clone())) {
            Failure::Unknown(path)
        } else {
            Failure::Unknown(path.key(field))
        }
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        Failure::Missing(path.key(field(rest)))
    } else {
        Failure::Invalid(path)
    };
    Problem { failure, message }
}

/// serde_yaml appends " at line L column C" to some messages; positions are ours.
fn strip_location(message: &str) -> &str {
    match message.find(" at line ") {
        Some(at) => &message[..at],
        None => message,
    }
}

/// The names listed after "expected one of" / "expected" in a serde message.
fn expected_names(message: &str) -> Vec<String> {
    let Some(at) = message.find("expected") else {
        return Vec::new();
    };
    message[at..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// "did you mean `x`?" for the closest name, when close enough.
pub fn suggest(written: &str, names: &[String]) -> Option<String> {
    names
        .iter()
        .map(|name| (strsim::jaro_winkler(written, name), name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| format!("did you mean `{name}`?"))
}

/// `a`, `b`, `c`
pub fn quote_all(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
