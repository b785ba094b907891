//! Diagnostics on standard error: retries, skipped sends and server lifecycle.
//!
//! The library reports through `tracing`; the binary prints warnings and errors by default so
//! a webhook that is being retried or an e-mail that was skipped is visible in a terminal, a
//! cron mail or the journal. `WARMUP_LOG` takes a `tracing` filter (`info`, `debug`,
//! `warmup::actions=debug`, …) to see more.

use tracing_subscriber::EnvFilter;

/// The environment variable holding the log filter.
pub const LOG_ENV: &str = "WARMUP_LOG";

/// Installs the stderr subscriber; a malformed `WARMUP_LOG` falls back to the default with
/// a note, never stops the command.
pub fn install() {
    let (filter, problem) = match std::env::var(LOG_ENV) {
        Ok(spec) => match EnvFilter::try_new(&spec) {
            Ok(filter) => (filter, None),
            Err(error) => (
                default_filter(),
                Some(format!("{LOG_ENV}=`{spec}` ignored: {error}")),
            ),
        },
        Err(_) => (default_filter(), None),
    };
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(super::output::log_writer)
        .log_internal_errors(false)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    if let (Ok(()), Some(problem)) = (installed, problem) {
        tracing::warn!("{problem}");
    }
}

fn default_filter() -> EnvFilter {
    EnvFilter::new("warn")
}
