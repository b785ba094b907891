//! Progress of a sync: a spinner line on a terminal, nothing otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::report::SyncReport;

/// A progress line, hidden when stderr is not a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Shows progress if stderr is a terminal and `enabled`.
    pub fn new(enabled: bool) -> Self {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self { bar }
    }

    /// Shows the phase and the counters so far.
    pub fn update(&self, phase: &str, report: &SyncReport) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{phase}: {} profiles, {} events, {} pages, {} retries",
                report.profiles_created + report.profiles_updated + report.profiles_unchanged,
                report.events_added(),
                report.pages,
                report.retries
            ));
        }
    }

    /// Removes the line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
