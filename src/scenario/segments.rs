//! Segments of the project resolved for evaluation: each reference to a segment inside a
//! segment replaced by its definition, with cycles and too-deep chains reported.

use std::collections::BTreeMap;

use super::check::Segments;
use super::compiled::Predicate;
use super::{Code, Reporter, YamlPath};

/// Segments may refer to segments this many levels deep (`a` uses `b` uses `c`: 3).
/// Deeper chains are a design smell and would make every evaluation deep.
pub const MAX_SEGMENT_DEPTH: usize = 16;

/// Replaces each segment reference inside segments by its definition; a segment
/// that reaches itself, or nests deeper than [`MAX_SEGMENT_DEPTH`], is reported and left
/// broken. A segment resolves once (then reused), so time grows with the segments'
/// total size, not with the square of a chain's length.
pub fn resolve_segments(compiled: &Segments, reporter: &mut Reporter) -> Segments {
    let mut resolver = Resolver {
        all: compiled,
        done: BTreeMap::new(),
        stack: Vec::new(),
        reporter,
    };
    let mut resolved = Segments::new();
    for name in compiled.keys() {
        resolver.stack = vec![name.clone()];
        let result = compiled[name].as_ref().and_then(|p| resolver.substitute(p));
        if let Some((predicate, below)) = &result {
            let entry = (predicate.clone(), below + 1);
            resolver.done.insert(name.clone(), entry);
        }
        resolved.insert(name.clone(), result.map(|(p, _)| p));
    }
    resolved
}

struct Resolver<'a, 'r> {
    all: &'a Segments,
    /// Resolved segments and their nesting depth (1: refers to no segment).
    done: BTreeMap<String, (Predicate, usize)>,
    /// The chain being resolved, root first.
    stack: Vec<String>,
    reporter: &'r mut Reporter,
}

impl Resolver<'_, '_> {
    /// `p` with segments substituted, and the depth of segments below it.
    fn substitute(&mut self, p: &Predicate) -> Option<(Predicate, usize)> {
        Some(match p {
            Predicate::All(items) => {
                let (items, depth) = self.many(items)?;
                (Predicate::All(items), depth)
            }
            Predicate::Any(items) => {
                let (items, depth) = self.many(items)?;
                (Predicate::Any(items), depth)
            }
            Predicate::Not(inner) => {
                let (inner, depth) = self.substitute(inner)?;
                (Predicate::Not(Box::new(inner)), depth)
            }
            Predicate::Segment { name, .. } => {
                let (inner, depth) = self.segment(name)?;
                let segment = Predicate::Segment {
                    name: name.clone(),
                    predicate: Box::new(inner),
                };
                (segment, depth)
            }
            other => (other.clone(), 0),
        })
    }

    fn many(&mut self, items: &[Predicate]) -> Option<(Vec<Predicate>, usize)> {
        let mut out = Vec::with_capacity(items.len());
        let mut depth = 0;
        for item in items {
            let (item, d) = self.substitute(item)?;
            depth = depth.max(d);
            out.push(item);
        }
        Some((out, depth))
    }

    /// The resolved definition of the segment `name` used inside the current chain.
    fn segment(&mut self, name: &str) -> Option<(Predicate, usize)> {
        if self.stack.iter().any(|s| s == name) {
            let chain = format!("{} -> {name}", self.stack.join(" -> "));
            self.report(
                Code::SegmentCycle,
                format!("segment `{}` refers to itself: {chain}", self.stack[0]),
            );
            return None;
        }
        let (inner, depth) = match self.done.get(name) {
            Some((inner, depth)) => (inner.clone(), *depth),
            None => {
                if self.stack.len() >= MAX_SEGMENT_DEPTH {
                    return self.too_deep(name, 1);
                }
                self.stack.push(name.to_owned());
                let result = self
                    .all
                    .get(name)?
                    .as_ref()
                    .and_then(|p| self.substitute(p));
                self.stack.pop();
                let (inner, below) = result?;
                self.done
                    .insert(name.to_owned(), (inner.clone(), below + 1));
                (inner, below + 1)
            }
        };
        if self.stack.len() + depth > MAX_SEGMENT_DEPTH {
            return self.too_deep(name, depth);
        }
        Some((inner, depth))
    }

    fn too_deep(&mut self, name: &str, depth: usize) -> Option<(Predicate, usize)> {
        let mut chain = format!("{} -> {name}", self.stack.join(" -> "));
        if depth > 1 {
            chain.push_str(&format!(" (itself {depth} deep)"));
        }
        self.report(
            Code::SegmentsTooDeep,
            format!(
                "segment `{}` nests segments more than {MAX_SEGMENT_DEPTH} deep: {chain}",
                self.stack[0]
            ),
        );
        None
    }

    fn report(&mut self, code: Code, message: String) {
        let at = YamlPath::root().key("segments").key(self.stack[0].clone());
        self.reporter.key(&at, code, None, message);
    }
}
