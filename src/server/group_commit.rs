//! Group commit: many concurrent requests share one store flush.
//!
//! Every ingest request is acknowledged only after the store has been flushed (DESIGN §4:
//! nothing acknowledged is lost). A flush costs an fsync, so flushing once per request would
//! bound throughput by the disk's sync rate. Instead each request takes a ticket after its
//! writes and waits until a flush that *started after its writes* has completed; one flush
//! covers every request that finished writing before it began.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::store::{Store, StoreError};

/// Shares store flushes between concurrent writers.
pub struct GroupCommit {
    store: Arc<Store>,
    /// Tickets handed out: one per batch of writes that finished.
    written: AtomicU64,
    /// Highest ticket known to be on disk.
    durable: AtomicU64,
    /// Held while a flush runs, so waiting writers queue behind it instead of flushing too.
    flushing: Mutex<()>,
    /// Flushes performed (metrics).
    flushes: AtomicU64,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("store", &self.store.path())
            .field("commits", &self.commits())
            .field("flushes", &self.flushes())
            .finish()
    }
}

impl GroupCommit {
    /// Group commit over a store.
    pub fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            written: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            flushing: Mutex::new(()),
            flushes: AtomicU64::new(0),
        }
    }

    /// Returns once everything written before this call is on disk.
    pub async fn commit(&self) -> Result<(), StoreError> {
        // The ticket is taken after the caller's writes returned, so any flush that starts
        // after this increment covers them.
        let ticket = self.written.fetch_add(1, Ordering::AcqRel) + 1;
        if self.durable.load(Ordering::Acquire) >= ticket {
            return Ok(());
        }
        let _guard = self.flushing.lock().await;
        // Someone else's flush may have covered us while we queued.
        if self.durable.load(Ordering::Acquire) >= ticket {
            return Ok(());
        }
        // Every ticket up to `target` belongs to writes that completed before this point.
        let target = self.written.load(Ordering::Acquire);
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || store.flush())
            .await
            .map_err(|join| StoreError::Corrupt {
                what: "flush task",
                detail: join.to_string(),
            })??;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.durable.fetch_max(target, Ordering::AcqRel);
        Ok(())
    }

    /// How many flushes ran so far.
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// How many commits were requested so far.
    pub fn commits(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_commits_share_flushes_and_all_return() {
        let store = Arc::new(Store::temporary().expect("store"));
        let group = Arc::new(GroupCommit::new(store));
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let group = Arc::clone(&group);
            tasks.push(tokio::spawn(async move { group.commit().await }));
        }
        for task in tasks {
            task.await.expect("join").expect("commit");
        }
        assert_eq!(group.commits(), 64);
        assert!(group.flushes() >= 1 && group.flushes() <= 64);
    }
}
