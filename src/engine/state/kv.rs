//! The key-value layer under the engine state: sled on disk, or a map in memory.
//!
//! Both backends take the same keys (see [`super::keys`]) and apply a batch of writes
//! atomically, so the engine's logic is the same whether it runs for real or simulates.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use crate::engine::customers::Flow;
use crate::engine::error::Result;

/// A write: put a value, or delete the key (`None`).
pub type Op = (Vec<u8>, Option<Vec<u8>>);

/// Called with each key and value of a scan.
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<Flow> + 'a;

/// An ordered key-value map with atomic batches.
pub trait Kv: Send + Sync {
    /// The value of a key.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Applies every write or none.
    fn apply(&self, ops: Vec<Op>) -> Result<()>;
    /// Visits keys with `prefix`, starting at `from` (inclusive), in key order.
    fn scan(&self, prefix: &[u8], from: &[u8], visit: &mut Visit<'_>) -> Result<()>;
    /// Makes every applied write durable.
    fn flush(&self) -> Result<()>;
}

/// The engine state in a sled tree (`engine/state`).
pub struct SledKv {
    tree: sled::Tree,
    db: sled::Db,
}

impl SledKv {
    /// The engine's tree of a database.
    pub fn open(db: &sled::Db) -> Result<Self> {
        Ok(Self {
            tree: db.open_tree("engine/state")?,
            db: db.clone(),
        })
    }
}

impl Kv for SledKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.tree.get(key)?.map(|v| v.to_vec()))
    }

    fn apply(&self, ops: Vec<Op>) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for (key, value) in ops {
            match value {
                Some(value) => batch.insert(key, value),
                None => batch.remove(key),
            }
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    fn scan(&self, prefix: &[u8], from: &[u8], visit: &mut Visit<'_>) -> Result<()> {
        let start = if from > prefix { from } else { prefix };
        for entry in self.tree.range(start..) {
            let (key, value) = entry?;
            if !key.starts_with(prefix) || visit(&key, &value)? == Flow::Stop {
                break;
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }
}

/// The engine state in memory (simulation).
#[derive(Default)]
pub struct MemoryKv {
    map: Mutex<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl MemoryKv {
    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<Vec<u8>, Vec<u8>>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How many entries a memory scan copies out at a time (the lock is not held while visiting).
const SCAN_CHUNK: usize = 4096;

impl Kv for MemoryKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map().get(key).cloned())
    }

    fn apply(&self, ops: Vec<Op>) -> Result<()> {
        let mut map = self.map();
        for (key, value) in ops {
            match value {
                Some(value) => map.insert(key, value),
                None => map.remove(&key),
            };
        }
        Ok(())
    }

    fn scan(&self, prefix: &[u8], from: &[u8], visit: &mut Visit<'_>) -> Result<()> {
        let mut start = if from > prefix {
            from.to_vec()
        } else {
            prefix.to_vec()
        };
        let mut first = true;
        loop {
            let chunk: Vec<(Vec<u8>, Vec<u8>)> = {
                let map = self.map();
                map.range(start.clone()..)
                    .skip(usize::from(!first))
                    .take_while(|(k, _)| k.starts_with(prefix))
                    .take(SCAN_CHUNK)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            };
            let Some((last, _)) = chunk.last() else {
                return Ok(());
            };
            let last = last.clone();
            let full = chunk.len() == SCAN_CHUNK;
            for (key, value) in chunk {
                if visit(&key, &value)? == Flow::Stop {
                    return Ok(());
                }
            }
            if !full {
                return Ok(());
            }
            start = last;
            first = false;
        }
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }
}
