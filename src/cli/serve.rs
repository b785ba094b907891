//! `warmup serve`: the HTTP service alone (ingest, unsubscribe, health, metrics, status),
//! without running scenarios. `warmup run` serves the same API beside the scheduler; use
//! `serve` for an ingest-only process or to accept data before going live.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::cli::InvalidInput;
use crate::project::Project;
use crate::server::{self, ServerError, ServerState};
use crate::store::Store;

/// Serve the HTTP API (ingest, unsubscribe, health, metrics, status) without the scheduler.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. `127.0.0.1:8080` (default: `server.bind` of the project).
    #[arg(long)]
    pub bind: Option<String>,
}

/// Runs `warmup serve` until SIGINT or SIGTERM.
pub fn run(project: Option<&Path>, args: ServeArgs) -> anyhow::Result<()> {
    let project = Project::load(project).map_err(|error| InvalidInput::new(error.to_string()))?;
    let store = Arc::new(Store::open(&project.store_dir())?);
    let state =
        ServerState::from_project(&project, Arc::clone(&store)).map_err(|error| match error {
            ServerError::Secret { .. } => anyhow::Error::new(InvalidInput::new(error.to_string())),
            other => other.into(),
        })?;
    let bind = args.bind.unwrap_or_else(|| server::bind_address(&project));
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = server::bind(&bind).await?;
        let local = listener
            .local_addr()
            .context("cannot read the bound address")?;
        // Scripts and tests read this line to learn the port (bind to port 0 for a free one).
        println!("listening on http://{local}");
        let shutdown = CancellationToken::new();
        tokio::spawn(cancel_on_signal(shutdown.clone()));
        server::serve_listener(state, listener, shutdown).await?;
        anyhow::Ok(())
    })?;
    store.flush()?;
    Ok(())
}

/// Cancels `shutdown` on SIGINT or SIGTERM.
pub async fn cancel_on_signal(shutdown: CancellationToken) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    shutdown.cancel();
}
