//! Rewriting a store into a fresh copy of itself (`warmup store compact`).
//!
//! sled 0.34 appends every page change to its log and leaves the space of replaced pages to a
//! lazy segment cleaner. An import writes five trees interleaved, customer by customer, and
//! leaves the file at about twice its live size: 2.8 GB for 1,000,000 imported customers,
//! 1.3 GB once rewritten. The size matters as soon as the store outgrows the page cache: the
//! engine reads every customer of the audience once per run, and a store larger than RAM is
//! read from disk on every pass.
//!
//! Compaction copies every tree in key order into a sibling folder `NAME.compacting`, carries
//! the customer-id counter over, and swaps the copy in:
//!
//! 1. copy into `NAME.compacting`, flush, write the marker file [`COMPLETE`] into it;
//! 2. rename `NAME` to `NAME.pre-compact`;
//! 3. rename `NAME.compacting` to `NAME`, remove the marker;
//! 4. remove `NAME.pre-compact`.
//!
//! A crash between 2 and 3 leaves no `NAME`; [`recover`] (called by [`Store::open`]) finishes
//! the swap when the copy is complete and puts the original back when it is not, so a store
//! is never silently replaced by an empty one.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{open_error as sled_error, Result, Store, StoreError};

/// The file that marks a finished copy.
pub const COMPLETE: &str = "COMPACTED";

/// How many entries one batch copies.
const BATCH: usize = 10_000;

/// What a compaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compaction {
    /// Bytes on disk before.
    pub before: u64,
    /// Bytes on disk after.
    pub after: u64,
    /// Trees copied.
    pub trees: usize,
    /// Entries copied, over all trees.
    pub entries: u64,
    /// Wall time of the copy and swap.
    pub elapsed: Duration,
}

impl Store {
    /// Rewrites the store in `dir` into a fresh copy and swaps it in (see the
    /// [module documentation](self)). Takes the store's lock, so it fails with
    /// [`StoreError::InUse`] while an engine or server has the store open.
    pub fn compact(dir: &Path) -> Result<Compaction> {
        let started = Instant::now();
        recover(dir)?;
        let before = disk_usage(dir);
        let copy = sibling(dir, "compacting");
        let (trees, entries) = {
            let store = Store::open(dir)?;
            remove_stale(dir)?;
            store.copy_into(&copy)?
        };
        std::fs::write(copy.join(COMPLETE), b"").map_err(|e| io_error(&copy, e))?;
        swap(dir, &copy)?;
        Ok(Compaction {
            before,
            after: disk_usage(dir),
            trees,
            entries,
            elapsed: started.elapsed(),
        })
    }

    /// Copies every tree and the id counter into a fresh database at `target`.
    fn copy_into(&self, target: &Path) -> Result<(usize, u64)> {
        if target.exists() {
            std::fs::remove_dir_all(target).map_err(|e| io_error(target, e))?;
        }
        let fresh = super::config(target)
            .open()
            .map_err(|e| sled_error(target, e))?;
        let next_id = self.db.generate_id().map_err(|e| self.sled(e))?;
        let mut entries = 0;
        let names = self.db.tree_names();
        for name in &names {
            let from = self.db.open_tree(name).map_err(|e| self.sled(e))?;
            let to = fresh.open_tree(name).map_err(|e| sled_error(target, e))?;
            entries += copy_tree(&from, &to).map_err(|e| sled_error(target, e))?;
        }
        // Customer ids come from sled's counter, which lives outside the trees.
        while fresh.generate_id().map_err(|e| sled_error(target, e))? < next_id {}
        fresh.flush().map_err(|e| sled_error(target, e))?;
        Ok((names.len(), entries))
    }
}

/// Copies one tree in key order, in batches.
fn copy_tree(from: &sled::Tree, to: &sled::Tree) -> sled::Result<u64> {
    let mut batch = sled::Batch::default();
    let (mut pending, mut copied) = (0, 0);
    for item in from.iter() {
        let (key, value) = item?;
        batch.insert(key, value);
        pending += 1;
        copied += 1;
        if pending == BATCH {
            to.apply_batch(std::mem::take(&mut batch))?;
            pending = 0;
        }
    }
    to.apply_batch(batch)?;
    Ok(copied)
}

/// Steps 2–4: the finished copy replaces the store.
fn swap(dir: &Path, copy: &Path) -> Result<()> {
    let old = sibling(dir, "pre-compact");
    std::fs::rename(dir, &old).map_err(|e| io_error(dir, e))?;
    finish(dir, copy, &old)
}

/// Steps 3–4.
fn finish(dir: &Path, copy: &Path, old: &Path) -> Result<()> {
    std::fs::rename(copy, dir).map_err(|e| io_error(copy, e))?;
    std::fs::remove_file(dir.join(COMPLETE)).map_err(|e| io_error(dir, e))?;
    std::fs::remove_dir_all(old).map_err(|e| io_error(old, e))
}

/// Repairs what an interrupted compaction left: with no store at `dir` but its
/// `NAME.pre-compact`, a complete copy is swapped in, otherwise the original is put back.
/// (Leftovers next to an intact store are removed by the next compaction, under the lock.)
pub fn recover(dir: &Path) -> Result<()> {
    let (copy, old) = (sibling(dir, "compacting"), sibling(dir, "pre-compact"));
    if dir.exists() || !old.exists() {
        return Ok(());
    }
    if copy.join(COMPLETE).exists() {
        return finish(dir, &copy, &old);
    }
    std::fs::rename(&old, dir).map_err(|e| io_error(&old, e))
}

/// Removes a stale `NAME.pre-compact` left by a crash after the swap.
fn remove_stale(dir: &Path) -> Result<()> {
    let old = sibling(dir, "pre-compact");
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| io_error(&old, e))?;
    }
    Ok(())
}

/// `NAME.suffix` next to `dir`.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    dir.with_file_name(name)
}

/// Total size of the files under `dir`.
pub fn disk_usage(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => disk_usage(&entry.path()),
            _ => entry.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    sled_error(path, sled::Error::Io(source))
}

#[cfg(test)]
mod tests;
