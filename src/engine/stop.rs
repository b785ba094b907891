//! A request to stop the engine early: `warmup run` sets it on SIGINT/SIGTERM so that a long
//! wave stops between e-mails instead of at its end (systemd's stop timeout is 90 s). A
//! stopped wave commits what it settled and leaves the rest due: parked tokens stay parked,
//! an interrupted audience is entered again (skipping customers who hold a token) at the
//! next start.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::engine::error::{EngineError, Result};

/// Shared between the engine and whoever may ask it to stop; cloning shares the flag.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A flag nobody has raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the engine to stop at its next stopping point.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl crate::engine::wave::Wave<'_> {
    /// A point between two side effects where a wave may stop: when a stop was requested,
    /// commits what the wave settled and returns [`EngineError::Stopped`]. Tokens still in
    /// flight are not written, so they stay due (parked, or not yet entered).
    pub(crate) fn stop_point(&mut self) -> Result<()> {
        if !self.env.stop.requested() {
            return Ok(());
        }
        self.env.state.commit(std::mem::take(&mut self.commit))?;
        if self.env.durable {
            self.env.state.flush()?;
        }
        Err(EngineError::Stopped)
    }
}
