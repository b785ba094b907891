//! A customer's properties, decoded only as far as they are read.
//!
//! Every sending day the whole audience streams through the engine, and most customers are
//! only asked for two or three properties (`tags` for a segment, `last_open` for a priority)
//! before a condition or a cap turns them away. Decoding each stored record into a full
//! [`Map`] (a string allocation per key and per value) was a quarter of a simulation's time.
//! [`Properties`] can instead keep the record's JSON object as stored and index it once:
//! where each key and each value lies in the bytes, without allocating either. A read decodes
//! just the value asked for; a change, or a template that wants them all, decodes the whole
//! map once.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Properties by name: a decoded map, or a stored JSON object decoded on demand.
#[derive(Clone, Default)]
pub struct Properties {
    source: Source,
}

#[derive(Clone)]
enum Source {
    Map(Map<String, Value>),
    Json {
        bytes: sled::IVec,
        object: Range<usize>,
        index: OnceLock<Index>,
    },
}

impl Default for Source {
    fn default() -> Self {
        Self::Map(Map::new())
    }
}

/// Where the entries of a JSON object lie, or the decoded object when its keys need
/// unescaping (never the case for the names warmup writes).
#[derive(Clone)]
enum Index {
    Entries(Vec<(Range<usize>, Range<usize>)>),
    Decoded(Map<String, Value>),
    /// Not a JSON object: no properties (the store checked the record when it wrote it).
    Invalid,
}

impl Properties {
    /// The properties of a JSON object that lies at `object` in `bytes`, not decoded yet.
    pub fn from_json(bytes: sled::IVec, object: Range<usize>) -> Self {
        Self {
            source: Source::Json {
                bytes,
                object,
                index: OnceLock::new(),
            },
        }
    }

    /// A property by name.
    pub fn get(&self, name: &str) -> Option<Cow<'_, Value>> {
        match &self.source {
            Source::Map(map) => map.get(name).map(Cow::Borrowed),
            Source::Json {
                bytes,
                object,
                index,
            } => match index.get_or_init(|| Index::of(&bytes[object.clone()])) {
                Index::Entries(entries) => {
                    let text = &bytes[object.clone()];
                    // The last of duplicate keys wins, as in a full decode.
                    let (_, value) = entries
                        .iter()
                        .rfind(|(key, _)| &text[key.clone()] == name.as_bytes())?;
                    serde_json::from_slice(&text[value.clone()])
                        .ok()
                        .map(Cow::Owned)
                }
                Index::Decoded(map) => map.get(name).map(Cow::Borrowed),
                Index::Invalid => None,
            },
        }
    }

    /// Every property, decoded.
    pub fn to_map(&self) -> Map<String, Value> {
        match &self.source {
            Source::Map(map) => map.clone(),
            Source::Json { bytes, object, .. } => {
                serde_json::from_slice(&bytes[object.clone()]).unwrap_or_default()
            }
        }
    }

    /// The decoded map, to change.
    pub fn make_mut(&mut self) -> &mut Map<String, Value> {
        if let Source::Json { .. } = self.source {
            self.source = Source::Map(self.to_map());
        }
        match &mut self.source {
            Source::Map(map) => map,
            Source::Json { .. } => unreachable!("decoded just above"),
        }
    }
}

impl From<Map<String, Value>> for Properties {
    fn from(map: Map<String, Value>) -> Self {
        Self {
            source: Source::Map(map),
        }
    }
}

impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        self.to_map() == other.to_map()
    }
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_map().fmt(f)
    }
}

impl Index {
    fn of(object: &[u8]) -> Self {
        let mut deserializer = serde_json::Deserializer::from_slice(object);
        match deserializer.deserialize_map(EntriesVisitor { base: object }) {
            Ok(entries) => Self::Entries(entries),
            Err(_) => match serde_json::from_slice(object) {
                Ok(map) => Self::Decoded(map),
                Err(_) => Self::Invalid,
            },
        }
    }
}

/// Collects where each key (without quotes) and each value lies, relative to `base`.
struct EntriesVisitor<'a> {
    base: &'a [u8],
}

impl<'de> Visitor<'de> for EntriesVisitor<'de> {
    type Value = Vec<(Range<usize>, Range<usize>)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with plain keys")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(key) = map.next_key::<&'de str>()? {
            let value = map.next_value::<&'de RawValue>()?;
            entries.push((self.span(key.as_bytes()), self.span(value.get().as_bytes())));
        }
        Ok(entries)
    }
}

impl EntriesVisitor<'_> {
    /// The range of `part`, a slice borrowed from `base`.
    fn span(&self, part: &[u8]) -> Range<usize> {
        let start = part.as_ptr() as usize - self.base.as_ptr() as usize;
        start..start + part.len()
    }
}

#[cfg(test)]
#[path = "properties/tests.rs"]
mod tests;
