//! `warmup serve`: the HTTP service alone (ingest, unsubscribe, health, metrics, status),
//! without running scenarios. `warmup run` serves the same API beside the scheduler; use
//! `serve` for an ingest-only process or to accept data before going live. A store that
//! keeps failing writes (a full disk) is reopened without a restart (`serve_recovery`).

use super::output;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::cli::InvalidInput;
use crate::engine::Engine;
use crate::project::Project;
use crate::server::{self, ServerState};
use crate::store::Store;

/// Serve the HTTP API (ingest, unsubscribe, health, metrics, status) without the scheduler.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. `127.0.0.1:8080` (default: `server.bind` of the project).
    #[arg(long)]
    pub bind: Option<String>,
}

/// Runs `warmup serve` until SIGINT or SIGTERM. Every token and the signing key must be
/// readable: an ingest-only process has no other job, so a missing secret is an error.
pub fn run(project: Option<&Path>, args: ServeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    // `serve` never ticks: the engine is there for `/status` and metrics, and captures
    // rather than building senders it would not use.
    let first = super::tick::open_engine_sharing(project, true, runtime.handle())?;
    // Settings and secrets are checked before the socket is opened.
    check_http(&first.0, &first.1)?;
    let bind = args.bind.unwrap_or_else(|| server::bind_address(&first.0));
    let project = project.map(Path::to_path_buf);
    let last = runtime.block_on(async move {
        let signals = shutdown_signals()?;
        let listener = listen(&bind).await?;
        let shutdown = CancellationToken::new();
        let cancel = shutdown.clone();
        tokio::spawn(async move {
            signals.await;
            cancel.cancel();
        });
        super::serve_recovery::serve_recovering(project, first, &listener, shutdown).await
    })?;
    if let Some(store) = last {
        store.flush()?;
    }
    Ok(())
}

/// The server state of a project, sharing the engine. An invalid timeout or limit is
/// invalid input. With `strict`, so is a secret that cannot be read; otherwise it is
/// reported as a warning and left out (the API then refuses every request, unsubscribe
/// links answer 404).
pub(crate) fn http_state(
    project: &Project,
    store: &Arc<Store>,
    engine: Arc<Engine>,
    strict: bool,
) -> anyhow::Result<ServerState> {
    let (builder, problems) = ServerState::builder_for_project(project, Arc::clone(store));
    fatal_problem(&problems, strict)?;
    for problem in &problems {
        output::errln!("warning: {problem}; the HTTP API runs without it");
    }
    Ok(builder.engine(engine).build())
}

/// Fails as [`http_state`] with `strict` would, without building the state.
fn check_http(project: &Project, store: &Arc<Store>) -> anyhow::Result<()> {
    let (_, problems) = ServerState::builder_for_project(project, Arc::clone(store));
    fatal_problem(&problems, true)
}

/// A bad timeout or limit is a mistake in the file, not a missing secret: never serve
/// with a guess. With `strict`, a missing secret is fatal too.
fn fatal_problem(problems: &[server::ServerError], strict: bool) -> anyhow::Result<()> {
    let fatal = problems
        .iter()
        .find(|problem| strict || matches!(problem, server::ServerError::Setting(_)));
    match fatal {
        Some(problem) => Err(InvalidInput::new(problem.to_string()).into()),
        None => Ok(()),
    }
}

/// Binds the HTTP listener and prints its address (scripts and tests read this line to
/// learn the port when binding port 0).
pub(crate) async fn listen(bind: &str) -> anyhow::Result<TcpListener> {
    let listener = server::bind(bind).await?;
    let local = listener
        .local_addr()
        .context("cannot read the bound address")?;
    output::outln!("listening on http://{local}");
    Ok(listener)
}

/// Installs the SIGINT and SIGTERM handlers now, before anything tells the world the
/// process is ready (a signal right after the `listening on` line must not kill it), and
/// returns a future that resolves on either signal.
pub(crate) fn shutdown_signals() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt =
        signal(SignalKind::interrupt()).context("cannot install the SIGINT handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}
