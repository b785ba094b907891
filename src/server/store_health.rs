//! Whether the store can be written: the last write failure the server saw, a probe that
//! writes and flushes one small record, and a signal for whoever can reopen the store.
//!
//! sled keeps the first I/O error of its log (e.g. a full disk) and fails every later
//! write with it, also once space is back: such a store only recovers by being reopened.
//! `warmup serve` watches [`StoreHealth::failed`] for that (see `cli::serve`).

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::watch;

use super::ServerState;
use crate::store::{Store, StoreError};

/// The tree of the health probe (one key, overwritten).
const PROBE_TREE: &str = "server/health";

/// The store's write health as the server last saw it. Cheap to share.
#[derive(Debug)]
pub struct StoreHealth {
    failure: watch::Sender<Option<String>>,
}

impl Default for StoreHealth {
    fn default() -> Self {
        Self {
            failure: watch::channel(None).0,
        }
    }
}

impl StoreHealth {
    /// Notes a failed write or flush (the reason names paths and OS errors, never a
    /// secret) and logs it.
    pub fn record_failure(&self, error: &StoreError) {
        let reason = error.to_string();
        tracing::error!(%reason, "store write failed");
        self.failure.send_replace(Some(reason));
    }

    /// Notes that a write reached disk: the store is healthy again.
    pub fn record_success(&self) {
        self.failure
            .send_if_modified(|failure| failure.take().is_some());
    }

    /// The last write failure, while no write has succeeded since.
    pub fn failure(&self) -> Option<String> {
        self.failure.borrow().clone()
    }

    /// Resolves once a write failure is recorded (at once if one is).
    pub async fn failed(&self) -> String {
        let mut watch = self.failure.subscribe();
        let failure = watch.wait_for(Option::is_some).await;
        failure
            .ok()
            .and_then(|failure| failure.clone())
            .unwrap_or_default()
    }
}

/// Writes one small record and flushes: proves the store accepts writes now.
pub fn probe(store: &Store) -> Result<(), StoreError> {
    probe_write(store)?;
    store.flush()
}

/// The write of [`probe`], without the flush.
fn probe_write(store: &Store) -> Result<(), StoreError> {
    let tree = store.tree(PROBE_TREE)?;
    let stamp = Utc::now().timestamp_millis().to_be_bytes();
    tree.insert("probe", &stamp)
        .map(drop)
        .map_err(|source| StoreError::Sled {
            path: store.path().to_path_buf(),
            source,
        })
}

/// [`probe`] off the async threads, flushing through the group commit (so health checks,
/// which anyone may send, share flushes with each other and with ingest), recording the
/// outcome in the store's health.
pub async fn probe_recording(state: &ServerState) -> Result<(), String> {
    let store = Arc::clone(state.store());
    let written = tokio::task::spawn_blocking(move || probe_write(&store))
        .await
        .map_err(|join| join.to_string())?;
    let outcome = match written {
        Ok(()) => state.commit().commit().await,
        Err(error) => Err(error),
    };
    let health = state.store_health();
    match outcome {
        Ok(()) => {
            health.record_success();
            Ok(())
        }
        Err(error) => {
            health.record_failure(&error);
            Err(error.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failure_is_reported_until_a_write_succeeds() {
        let health = StoreHealth::default();
        assert_eq!(health.failure(), None);
        health.record_failure(&StoreError::InvalidEvent("disk full".into()));
        assert!(health.failure().unwrap().contains("disk full"));
        assert!(health.failed().await.contains("disk full"));
        health.record_success();
        assert_eq!(health.failure(), None);
        let state = ServerState::new(Arc::new(Store::temporary().unwrap()));
        state
            .store_health()
            .record_failure(&StoreError::InvalidEvent("disk full".into()));
        probe_recording(&state).await.unwrap();
        assert_eq!(state.store_health().failure(), None);
    }
}
