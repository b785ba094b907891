//! The HTTP service of `warmup run`: ingest API, one-click unsubscribe, `/healthz`,
//! `/metrics` and `/status`, sharing the process and the store with the scheduler.
//!
//! ```no_run
//! # async fn example(project: warmup::project::Project, store: std::sync::Arc<warmup::store::Store>)
//! # -> Result<(), warmup::server::ServerError> {
//! use tokio_util::sync::CancellationToken;
//!
//! let state = warmup::server::ServerState::from_project(&project, store)?;
//! let shutdown = CancellationToken::new();
//! let bind = warmup::server::bind_address(&project);
//! warmup::server::serve(state, &bind, shutdown.clone()).await?;
//! # Ok(()) }
//! ```
//!
//! [`router`] gives the axum `Router` for in-process use (tests, embedding).

mod auth;
mod engine_metrics;
mod error;
mod group_commit;
mod health;
mod ingest;
mod keyed_lock;
mod limits;
mod listener;
mod metrics;
mod page;
pub mod payload;
mod recovering;
mod router;
mod state;
mod status;
mod store_health;
mod store_metrics;
mod unsubscribe;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use auth::ApiTokens;
pub use error::ApiError;
pub use group_commit::GroupCommit;
pub use ingest::{CustomerAck, CustomersAck, EventAck, EventsAck};
pub use limits::Limits;
pub use listener::{serve_app, serve_listener};
pub use metrics::ServerMetrics;
pub use page::Page;
pub use recovering::recovering_router;
pub use router::router;
pub use state::{Builder, ServerState, UnsubscribeKey, DEFAULT_BIND, DEFAULT_MAX_BODY_BYTES};
pub use status::{
    EmailLedger, NextFire, ParkedGroup, RunStatusReport, StatusReport, UncertainSend,
};
pub use store_health::{probe as probe_store, StoreHealth};
pub use unsubscribe::SOURCE as UNSUBSCRIBE_SOURCE;

use crate::project::{Project, SecretError};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A token or key could not be read from its source.
    #[error("cannot read {what}: {source}")]
    Secret {
        /// Which setting, e.g. `server.tokens[0]`.
        what: String,
        /// Why (never the secret itself).
        source: SecretError,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on `{bind}` (server.bind): {source}")]
    Bind {
        /// The configured address.
        bind: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A setting of the `server` section is invalid (the message names the field).
    #[error("{0}")]
    Setting(String),
    /// The server failed while running.
    #[error("the HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// The address to listen on: `server.bind`, or [`DEFAULT_BIND`].
pub fn bind_address(project: &Project) -> String {
    project
        .file
        .server
        .as_ref()
        .and_then(|server| server.bind.clone())
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
}

/// Opens the listening socket (separately from [`serve_listener`], so a caller can report
/// the bound address, e.g. for port 0, before serving).
pub async fn bind(address: &str) -> Result<TcpListener, ServerError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| ServerError::Bind {
            bind: address.to_owned(),
            source,
        })
}

/// Binds `address` and serves until `shutdown` is cancelled; in-flight requests finish
/// (and their data is flushed) before it returns, unless they outlast the shutdown timeout
/// (see [`Limits`]).
pub async fn serve(
    state: ServerState,
    address: &str,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let listener = bind(address).await?;
    serve_listener(state, listener, shutdown).await
}
