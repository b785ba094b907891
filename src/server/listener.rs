//! The accept loop: HTTP/1.1 connections served by hyper with the header read timeout,
//! at most [`Limits::effective_max_connections`](super::Limits::effective_max_connections)
//! at once, and a graceful shutdown that
//! waits at most [`Limits::shutdown_timeout`] for requests in flight.
//!
//! `axum::serve` offers neither a header timeout, a connection limit nor a shutdown
//! deadline, so the router is served with hyper's own connection builder and hyper-util's
//! graceful-shutdown watcher instead.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{router, Limits, ServerError, ServerState};

/// Pause after an accept error that is not about one connection (e.g. out of file
/// descriptors), so the loop does not spin while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves on an open listener until `shutdown` is cancelled. Then it stops accepting,
/// lets requests in flight finish (their data is flushed) for up to the shutdown timeout,
/// and closes the connections still open after it.
pub async fn serve_listener(
    state: ServerState,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let limits = state.limits().clone();
    if let Ok(local) = listener.local_addr() {
        tracing::info!(%local, "HTTP server listening");
    }
    serve_app(router(state), &limits, &listener, shutdown).await?;
    tracing::info!("HTTP server stopped");
    Ok(())
}

/// Serves `app` on `listener` with `limits` until `shutdown` is cancelled, as
/// [`serve_listener`] does, but leaves the listener open: clients that connect meanwhile
/// wait in its queue for whatever serves it next (e.g. after the store was reopened).
pub async fn serve_app(
    app: Router,
    limits: &Limits,
    listener: &TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let max_connections = limits.effective_max_connections();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let permits = Arc::new(Semaphore::new(max_connections));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        // Reap finished connections so the set stays as small as the open ones.
        while connections.try_join_next().is_some() {}
        // Waiting for a permit before accepting leaves further clients in the kernel's
        // backlog instead of taking a descriptor each.
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_closed) => break,
            },
        };
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            // Errors here are the client's (reset, timed out); nothing to answer.
            if let Err(error) = connection.await {
                tracing::debug!(%error, "HTTP connection ended with an error");
            }
            drop(permit);
        });
    }
    drain(graceful, &mut connections, limits.shutdown_timeout).await;
    Ok(())
}

/// Waits for the connections to finish their requests, at most `deadline`, then closes the
/// rest: one slow client must not keep the process from stopping.
async fn drain(graceful: GracefulShutdown, connections: &mut JoinSet<()>, deadline: Duration) {
    if tokio::time::timeout(deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "closing HTTP connections still open after the shutdown timeout (server.shutdown_timeout)"
        );
    }
    connections.shutdown().await;
}

/// An accept error: one connection's failure is skipped, anything else (e.g. no file
/// descriptors left) is logged and waited out.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept an HTTP connection");
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}
