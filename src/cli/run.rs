//! `warmup run`: the long-running loop. Sleeps until the next due instant, a minute (to
//! notice events written by other processes), or events recorded by its HTTP server; ticks;
//! and on SIGINT/SIGTERM stops the engine at the next e-mail, webhook call or wave (the rest
//! of the wave stays due for the next start), lets the HTTP server answer the requests in
//! flight, and exits. With a `klaviyo` section it also syncs with Klaviyo on the project's
//! schedule (see `run_sync`).

use super::output;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::engine::clock::{Clock, SystemClock};
use crate::klaviyo::setup::KlaviyoSetup;
use crate::server::ServerState;

/// Longest sleep between ticks: new events (consent rejects) are picked up at least this often.
const MAX_SLEEP: std::time::Duration = std::time::Duration::from_secs(60);

/// Run the engine until interrupted.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Stop after the first tick at or after this instant (RFC 3339); for tests and dry runs.
    #[arg(long, value_parser = super::tick::parse_instant)]
    pub until: Option<DateTime<Utc>>,
    /// Record e-mails and webhook calls instead of sending them (see `tick --capture`).
    #[arg(long)]
    pub capture: bool,
    /// Do not run the Klaviyo syncs of the project's `klaviyo.sync` schedule.
    #[arg(long)]
    pub no_sync: bool,
}

/// Runs `warmup run`. When the project has a `server` section, the HTTP API is served
/// beside the scheduler, on the same store.
pub fn run(project: Option<&Path>, args: RunArgs) -> anyhow::Result<()> {
    super::preflight_gate::gate(project, args.capture)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let (project, store, engine) =
        super::tick::open_engine_sharing(project, args.capture, runtime.handle())?;
    let engine = Arc::new(engine);
    let http = match &project.file.server {
        Some(_) => Some((
            super::serve::http_state(&project, &store, Arc::clone(&engine), false)?,
            crate::server::bind_address(&project),
        )),
        None => None,
    };
    let sync = match (&project.file.klaviyo, args.no_sync) {
        (Some(_), false) => match KlaviyoSetup::from_project(&project) {
            Ok(setup) => Some((setup, Arc::clone(&store))),
            Err(error) => {
                output::errln!("warning: Klaviyo sync disabled: {error}");
                None
            }
        },
        _ => None,
    };
    runtime.block_on(serve(engine, http, sync, args.until))
}

async fn serve(
    engine: Arc<crate::engine::Engine>,
    http: Option<(ServerState, String)>,
    sync: Option<(KlaviyoSetup, Arc<crate::store::Store>)>,
    until: Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    if let Some((setup, store)) = sync {
        tracker.spawn(super::run_sync::sync_on_schedule(
            setup,
            store,
            cancel.clone(),
        ));
    }
    // Installed before the HTTP server announces itself, so an early SIGTERM stops cleanly.
    let shutdown = super::serve::shutdown_signals()?;
    // Ingested events and unsubscribes wake the loop at once, so on_event flows run now.
    let mut events = match http {
        Some((state, bind)) => {
            let listener = super::serve::listen(&bind).await?;
            let feed = state.event_feed();
            let stop = cancel.clone();
            tracker.spawn(async move {
                if let Err(error) = crate::server::serve_listener(state, listener, stop).await {
                    output::errln!("error: {error}");
                }
            });
            Some(feed)
        }
        None => None,
    };
    let signals = cancel.clone();
    let stop = engine.stop_flag();
    tracker.spawn(async move {
        tokio::select! {
            () = shutdown => {
                output::errln!("stopping at the next e-mail, webhook call or wave");
                stop.request();
                signals.cancel();
            }
            () = signals.cancelled() => {}
        }
    });
    let clock = SystemClock;
    let result = loop {
        let now = clock.now();
        let ticking = engine.clone();
        // Waves run on a blocking thread; a signal raises the engine's stop flag, so a long
        // wave stops between two e-mails or webhook calls, with nothing lost or sent twice.
        let tick = tokio::task::spawn_blocking(move || ticking.tick(now)).await;
        match tick {
            Ok(Err(crate::engine::EngineError::Stopped)) => {
                output::errln!(
                    "stopped before the end of the wave; the rest is due at the next start"
                );
                break Ok(());
            }
            Ok(Ok(summary)) => {
                if summary.waves > 0 {
                    output::outln!("{}", super::tick::describe(now, &summary));
                }
            }
            Ok(Err(error)) => break Err(anyhow::Error::new(error).context("tick failed")),
            Err(join) => break Err(anyhow::anyhow!("tick panicked: {join}")),
        }
        if cancel.is_cancelled() || until.is_some_and(|until| now >= until) {
            break Ok(());
        }
        let next = engine.next_instant(now).ok().flatten();
        let sleep = next
            .and_then(|next| (next - clock.now()).to_std().ok())
            .unwrap_or(MAX_SLEEP)
            .min(MAX_SLEEP);
        tokio::select! {
            () = cancel.cancelled() => break Ok(()),
            () = tokio::time::sleep(sleep) => {}
            () = new_events(&mut events) => {}
        }
    };
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
    result
}

/// Resolves when the HTTP server recorded new events; never without a server.
async fn new_events(feed: &mut Option<tokio::sync::watch::Receiver<u64>>) {
    match feed {
        Some(feed) => {
            if feed.changed().await.is_err() {
                // The server is gone: stop listening for it.
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}
