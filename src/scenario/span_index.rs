//! Positions of YAML paths (`nodes.229.next`) in a file, so every semantic
//! diagnostic can point at the exact key or value it is about.

use std::collections::HashMap;
use std::fmt;

use super::Span;

/// One step of a [`YamlPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index (0-based).
    Index(usize),
}

/// A path from the document root to a value, e.g. `nodes.229.if.all.0`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct YamlPath(Vec<Segment>);

impl YamlPath {
    /// The document root.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by a mapping key.
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.into()));
        Self(segments)
    }

    /// This path extended by a sequence index.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Self(segments)
    }

    /// The path without its last step (the root stays the root).
    pub fn parent(&self) -> Self {
        let mut segments = self.0.clone();
        segments.pop();
        Self(segments)
    }

    /// The steps.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match segment {
                Segment::Key(key) => f.write_str(key)?,
                Segment::Index(index) => write!(f, "{index}")?,
            }
        }
        Ok(())
    }
}

/// Where a value sits, and where its key sits when it is a mapping value.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Option<Span>,
    value: Span,
}

/// YAML path to position, built from the event parser's markers.
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    entries: HashMap<YamlPath, Entry>,
}

impl SpanIndex {
    /// Records a value (and its key, for mapping values).
    pub(crate) fn insert(&mut self, path: YamlPath, key: Option<Span>, value: Span) {
        self.entries.insert(path, Entry { key, value });
    }

    /// Whether the path was written.
    pub fn contains(&self, path: &YamlPath) -> bool {
        self.entries.contains_key(path)
    }

    /// The value at `path`, or the nearest written ancestor's.
    pub fn value(&self, path: &YamlPath) -> Span {
        let mut current = path.clone();
        loop {
            if let Some(entry) = self.entries.get(&current) {
                return entry.value;
            }
            if current.0.is_empty() {
                return Span::default();
            }
            current = current.parent();
        }
    }

    /// The key of the mapping value at `path` (the value itself for sequence items),
    /// or the nearest written ancestor's.
    pub fn key(&self, path: &YamlPath) -> Span {
        match self.entries.get(path) {
            Some(entry) => entry.key.unwrap_or(entry.value),
            None if path.0.is_empty() => Span::default(),
            None => self.key(&path.parent()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_dotted_and_fall_back_to_ancestors() {
        let path = YamlPath::root().key("nodes").key("229").key("if").index(0);
        assert_eq!(path.to_string(), "nodes.229.if.0");
        let mut index = SpanIndex::default();
        let node = YamlPath::root().key("nodes").key("229");
        index.insert(
            node.clone(),
            Some(Span { offset: 10, len: 5 }),
            Span { offset: 17, len: 3 },
        );
        assert_eq!(index.value(&path).offset, 17);
        assert_eq!(index.key(&path).offset, 10);
        assert_eq!(index.key(&YamlPath::root().key("x")).offset, 0);
    }
}
