//! Reads a YAML document with yaml-rust2's event parser, building at once the
//! value tree (as a `serde_json::Value`, scalars resolved the way serde_yaml
//! resolves them, mappings with string keys), the [`SpanIndex`] of every path,
//! and the list of duplicate keys (which serde_yaml would reject as a whole-file
//! error). A JSON value tree deserializes externally tagged enums written as
//! one-key mappings (`{ recent: last_open }`), as the YAML text does.

use std::collections::HashMap;

use serde_json::{Map as Mapping, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::yaml_scalar::{resolve_plain, scalar_span};
use super::{Span, SpanIndex, YamlPath};

/// Deeper nesting than this is rejected (no scenario needs it; it bounds recursion).
const MAX_DEPTH: usize = 64;

/// More values than this (aliases counted as expanded) are rejected: it bounds memory
/// against alias bombs.
const MAX_VALUES: usize = 1_000_000;

/// A parsed document.
#[derive(Debug)]
pub struct YamlDocument {
    /// The value tree (the first document; an empty file is `null`).
    pub value: Value,
    /// Positions of every path.
    pub index: SpanIndex,
    /// Keys written twice in one mapping (the first one wins).
    pub duplicates: Vec<DuplicateKey>,
    /// Mapping keys that are not scalars, by position.
    pub complex_keys: Vec<(YamlPath, Span)>,
}

/// A key written twice in one mapping.
#[derive(Debug, Clone)]
pub struct DuplicateKey {
    /// The mapping holding the key.
    pub parent: YamlPath,
    /// The key.
    pub key: String,
    /// Where it was first written.
    pub first: Span,
    /// Where it was written again.
    pub again: Span,
}

/// A YAML syntax error.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    /// Where.
    pub span: Span,
    /// What.
    pub message: String,
}

/// Parses `text`.
pub fn parse(text: &str) -> Result<YamlDocument, SyntaxError> {
    let mut reader = Reader {
        parser: Parser::new_from_str(text),
        text,
        char_offsets: (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect()),
        document: YamlDocument {
            value: Value::Null,
            index: SpanIndex::default(),
            duplicates: Vec::new(),
            complex_keys: Vec::new(),
        },
        anchors: HashMap::new(),
        values: 0,
    };
    let mut seen = false;
    loop {
        let (event, marker) = reader.next()?;
        match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentStart | Event::DocumentEnd | Event::Nothing => {}
            _ if seen => {
                return Err(SyntaxError {
                    span: Span {
                        offset: reader.offset(&marker),
                        len: 1,
                    },
                    message: "a second YAML document: a file holds one (remove the `---`)".into(),
                })
            }
            event => {
                let value = reader.node(event, marker, &YamlPath::root(), None, 0, true)?;
                reader.document.value = value;
                seen = true;
            }
        }
    }
    Ok(reader.document)
}

/// The line and column (1-based, in characters) where `text` nests deeper than
/// [`MAX_DEPTH`], if it does. Other syntax errors are left to whoever reads the text next.
/// The event parser stops there, so this takes time in proportion to the text before it,
/// whereas libyaml (serde_yaml) spends time quadratic in the depth of a deep file.
pub fn too_deep(text: &str) -> Option<(usize, usize, String)> {
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    while let Ok((event, marker)) = parser.next_token() {
        match event {
            Event::StreamEnd => return None,
            Event::SequenceStart(..) | Event::MappingStart(..) => depth += 1,
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_DEPTH {
            let message = format!("nested deeper than {MAX_DEPTH} levels");
            return Some((marker.line(), marker.col() + 1, message));
        }
    }
    None
}

fn too_many(offset: usize) -> SyntaxError {
    SyntaxError {
        span: Span { offset, len: 1 },
        message: format!("more than {MAX_VALUES} values (aliases expanded)"),
    }
}

struct Reader<'a> {
    parser: Parser<std::str::Chars<'a>>,
    text: &'a str,
    /// Byte offset of each character, when the text is not ASCII (markers count chars).
    char_offsets: Option<Vec<usize>>,
    document: YamlDocument,
    /// Anchored values and how many values each holds.
    anchors: HashMap<usize, (Value, usize)>,
    /// Values read so far, aliases counted as expanded.
    values: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<(Event, Marker), SyntaxError> {
        self.parser.next_token().map_err(|error| SyntaxError {
            span: Span {
                offset: self.offset(error.marker()),
                len: 0,
            },
            message: error.info().to_owned(),
        })
    }

    fn offset(&self, marker: &Marker) -> usize {
        match &self.char_offsets {
            None => marker.index().min(self.text.len()),
            Some(offsets) => offsets
                .get(marker.index())
                .copied()
                .unwrap_or(self.text.len()),
        }
    }

    /// Reads the node that starts with `event`, recording it at `path`.
    fn node(
        &mut self,
        event: Event,
        marker: Marker,
        path: &YamlPath,
        key: Option<Span>,
        depth: usize,
        record: bool,
    ) -> Result<Value, SyntaxError> {
        let offset = self.offset(&marker);
        let before = self.values;
        self.values += 1;
        if depth > MAX_DEPTH {
            return Err(SyntaxError {
                span: Span { offset, len: 1 },
                message: format!("nested deeper than {MAX_DEPTH} levels"),
            });
        }
        if self.values > MAX_VALUES {
            return Err(too_many(offset));
        }
        let (value, span) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let span = scalar_span(self.text, offset, &text, style);
                let is_str_tag = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if style == TScalarStyle::Plain && !is_str_tag {
                    resolve_plain(&text)
                } else {
                    Value::String(text)
                };
                self.anchor(anchor, &value, 1);
                (value, span)
            }
            Event::Alias(anchor) => (self.alias(anchor, offset)?, Span { offset, len: 1 }),
            Event::SequenceStart(anchor, _) => {
                let value = self.sequence(path, depth, record)?;
                self.anchor(anchor, &value, self.values - before);
                (value, Span { offset, len: 1 })
            }
            Event::MappingStart(anchor, _) => {
                let value = self.mapping(path, depth, record)?;
                self.anchor(anchor, &value, self.values - before);
                (value, Span { offset, len: 1 })
            }
            other => {
                return Err(SyntaxError {
                    span: Span { offset, len: 0 },
                    message: format!("unexpected {other:?}"),
                })
            }
        };
        if record {
            self.document.index.insert(path.clone(), key, span);
        }
        Ok(value)
    }

    /// The anchored value, counted as expanded.
    fn alias(&mut self, anchor: usize, offset: usize) -> Result<Value, SyntaxError> {
        let (value, size) = self
            .anchors
            .get(&anchor)
            .cloned()
            .unwrap_or((Value::Null, 1));
        self.values += size;
        if self.values > MAX_VALUES {
            return Err(too_many(offset));
        }
        Ok(value)
    }

    fn anchor(&mut self, anchor: usize, value: &Value, size: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, (value.clone(), size));
        }
    }

    fn sequence(
        &mut self,
        path: &YamlPath,
        depth: usize,
        record: bool,
    ) -> Result<Value, SyntaxError> {
        let mut items = Vec::new();
        loop {
            let (event, marker) = self.next()?;
            if event == Event::SequenceEnd {
                return Ok(Value::Array(items));
            }
            let item_path = path.index(items.len());
            items.push(self.node(event, marker, &item_path, None, depth + 1, record)?);
        }
    }

    fn mapping(
        &mut self,
        path: &YamlPath,
        depth: usize,
        record: bool,
    ) -> Result<Value, SyntaxError> {
        let mut mapping = Mapping::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        loop {
            let (event, marker) = self.next()?;
            let offset = self.offset(&marker);
            let (key, key_span) = match event {
                Event::MappingEnd => return Ok(Value::Object(mapping)),
                Event::Scalar(text, style, _, _) => {
                    let span = scalar_span(self.text, offset, &text, style);
                    (Some(text), span)
                }
                other => {
                    // A complex key: read it to stay in step, then report it.
                    let span = Span { offset, len: 1 };
                    let throwaway = path.key("?");
                    self.node(other, marker, &throwaway, None, depth + 1, false)?;
                    if record {
                        self.document.complex_keys.push((path.clone(), span));
                    }
                    (None, span)
                }
            };
            let (event, marker) = self.next()?;
            let Some(key) = key else {
                self.node(event, marker, path, None, depth + 1, false)?;
                continue;
            };
            let value_path = path.key(key.clone());
            let duplicate = seen.get(&key).copied();
            let keep = duplicate.is_none();
            let value = self.node(
                event,
                marker,
                &value_path,
                Some(key_span),
                depth + 1,
                record && keep,
            )?;
            match duplicate {
                Some(first) if record => self.document.duplicates.push(DuplicateKey {
                    parent: path.clone(),
                    key,
                    first,
                    again: key_span,
                }),
                Some(_) => {}
                None => {
                    seen.insert(key.clone(), key_span);
                    mapping.insert(key, value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, span: Span) -> &str {
        &text[span.offset..span.offset + span.len]
    }

    #[test]
    fn values_and_positions_of_keys_and_values() {
        let text = "name: x\nnodes:\n  \"229\": { kind: on_date, at: '2026-12-01T00:00', next: \"7\" }\n  7: {kind: wait, for: 1d}\n";
        let doc = parse(text).expect("parses");
        let node = YamlPath::root().key("nodes").key("229");
        assert_eq!(at(text, doc.index.key(&node)), "\"229\"");
        assert_eq!(
            at(text, doc.index.value(&node.key("at"))),
            "'2026-12-01T00:00'"
        );
        assert_eq!(at(text, doc.index.value(&node.key("next"))), "\"7\"");
        let seven = YamlPath::root().key("nodes").key("7");
        assert_eq!(at(text, doc.index.value(&seven.key("for"))), "1d");
        assert_eq!(doc.value["nodes"]["7"]["kind"], Value::from("wait"));
    }

    #[test]
    fn scalars_resolve_like_serde_yaml() {
        let doc = parse("a: 12\nb: '12'\nc: true\nd: ~\ne: 1.5\nf: 09:00\ng: nope\nh:\n").unwrap();
        assert_eq!(doc.value["a"], Value::from(12));
        assert_eq!(doc.value["b"], Value::from("12"));
        assert_eq!(doc.value["c"], Value::from(true));
        assert_eq!(doc.value["d"], Value::Null);
        assert_eq!(doc.value["e"], Value::from(1.5));
        assert_eq!(doc.value["f"], Value::from("09:00"));
        assert_eq!(doc.value["g"], Value::from("nope"));
        assert_eq!(doc.value["h"], Value::Null);
    }

    #[test]
    fn aliases_expand_to_their_anchored_values() {
        let doc = parse("base: &b { kind: wait, for: 1h }\ncopy: *b\n").unwrap();
        assert_eq!(doc.value["copy"]["for"], Value::from("1h"));
    }

    #[test]
    fn duplicate_keys_are_listed_and_the_first_wins() {
        let text = "a: 1\nb: 2\na: 3\n";
        let doc = parse(text).unwrap();
        assert_eq!(doc.value["a"], Value::from(1));
        assert_eq!(doc.duplicates.len(), 1);
        assert_eq!(doc.duplicates[0].key, "a");
        assert_eq!(doc.duplicates[0].again.offset, 10);
    }

    #[test]
    fn positions_count_bytes_after_multibyte_text() {
        let text = "name: \"Příliš\"\nnext: x\n";
        let doc = parse(text).unwrap();
        assert_eq!(
            at(text, doc.index.value(&YamlPath::root().key("next"))),
            "x"
        );
    }

    #[test]
    fn syntax_errors_and_deep_nesting_are_errors_not_panics() {
        assert!(parse("a: [1, 2\nb: 3").is_err());
        assert!(parse(&"[".repeat(500)).is_err());
        assert!(parse("").unwrap().value.is_null());
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let prev = format!("*a{}", i - 1);
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let error = parse(&bomb).unwrap_err();
        assert!(
            error.message.contains("aliases expanded"),
            "{}",
            error.message
        );
    }
}
