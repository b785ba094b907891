//! `warmup serve` across store failures: when the store keeps failing writes (sled keeps
//! the first I/O error of its log, e.g. a full disk, and refuses every later write with
//! it), the server closes the store and opens it again once writes succeed, without a
//! restart of the process. Meanwhile `/healthz` answers 503 with the reason and every other
//! route 503; the listening socket stays open, so clients only wait.

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;
use crate::project::Project;
use crate::server::{self, StoreHealth};
use crate::store::Store;

/// First pause before reopening the store; doubled after each failed attempt.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// Longest pause between two attempts to reopen the store.
const MAX_RETRY: Duration = Duration::from_secs(10);
/// How long to wait for the last users of a failed store to let go of it.
const RELEASE_WAIT: Duration = Duration::from_secs(5);

/// A project with its store and engine, as `tick::open_engine_sharing` opens them.
pub(crate) type Opened = (Project, Arc<Store>, Engine);

/// Serves until `shutdown`, reopening the store whenever it keeps failing writes. Returns
/// the store that was open at shutdown, if any, for the final flush.
pub(crate) async fn serve_recovering(
    project_path: Option<PathBuf>,
    first: Opened,
    listener: &TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<Option<Arc<Store>>> {
    let mut opened = first;
    loop {
        let (project, store, engine) = opened;
        let state = super::serve::http_state(&project, &store, Arc::new(engine), true)?;
        let limits = state.limits().clone();
        let health = Arc::clone(state.store_health());
        let stop = shutdown.child_token();
        let watcher = tokio::spawn(watch_store(
            Arc::clone(&health),
            Arc::downgrade(&store),
            stop.clone(),
        ));
        server::serve_app(server::router(state), &limits, listener, stop).await?;
        watcher.abort();
        if shutdown.is_cancelled() {
            return Ok(Some(store));
        }
        let reason = health.failure().unwrap_or_default();
        drop(project);
        release(store).await;
        match reopen(
            project_path.as_deref(),
            listener,
            &limits,
            &reason,
            &shutdown,
        )
        .await?
        {
            Some(fresh) => {
                tracing::warn!("the store accepts writes again; serving");
                opened = fresh;
            }
            None => return Ok(None),
        }
    }
}

/// Cancels `stop` once the store fails a write and a fresh probe write fails too. A
/// failure that the probe survives was transient and needs nothing.
async fn watch_store(health: Arc<StoreHealth>, store: Weak<Store>, stop: CancellationToken) {
    loop {
        let reason = health.failed().await;
        let Some(store) = store.upgrade() else {
            return;
        };
        let probe = tokio::task::spawn_blocking(move || server::probe_store(&store)).await;
        if matches!(probe, Ok(Ok(()))) {
            health.record_success();
            continue;
        }
        tracing::error!(%reason, "the store keeps failing writes; closing it to reopen it");
        stop.cancel();
        return;
    }
}

/// Drops the failed store once nothing else holds it (a request may still be finishing on
/// a blocking thread), so that it can be opened again.
async fn release(store: Arc<Store>) {
    let waited = tokio::time::Instant::now();
    while Arc::strong_count(&store) > 1 && waited.elapsed() < RELEASE_WAIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Dropping closes sled on a blocking thread: its final flush may wait on the disk.
    let _ = tokio::task::spawn_blocking(move || drop(store)).await;
}

/// Serves the recovering answers and tries to open the store again, with growing pauses,
/// until a probe write succeeds (`Some`) or `shutdown` is cancelled (`None`).
async fn reopen(
    project_path: Option<&std::path::Path>,
    listener: &TcpListener,
    limits: &server::Limits,
    reason: &str,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<Opened>> {
    let mut pause = FIRST_RETRY;
    let mut reason = reason.to_owned();
    loop {
        let wait = shutdown.child_token();
        let timer = wait.clone();
        tokio::spawn(async move {
            tokio::time::sleep(pause).await;
            timer.cancel();
        });
        server::serve_app(server::recovering_router(&reason), limits, listener, wait).await?;
        if shutdown.is_cancelled() {
            return Ok(None);
        }
        let path = project_path.map(std::path::Path::to_path_buf);
        let handle = tokio::runtime::Handle::current();
        let attempt = tokio::task::spawn_blocking(move || {
            let opened = super::tick::open_engine_sharing(path.as_deref(), true, &handle)?;
            server::probe_store(&opened.1)?;
            anyhow::Ok(opened)
        })
        .await?;
        match attempt {
            Ok(opened) => return Ok(Some(opened)),
            Err(error) => {
                reason = format!("{error:#}");
                pause = (pause * 2).min(MAX_RETRY);
                tracing::warn!(%reason, "the store cannot be reopened yet; retrying in {pause:?}");
            }
        }
    }
}
