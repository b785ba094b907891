//! `warmup tick` finished, but some customers failed a step: a distinct exit code (3), so cron's
//! `MAILTO` and systemd's `OnFailure=` notice, while the summary already printed says where and
//! why.

/// Some steps failed in a tick that otherwise completed. The binary exits with code
/// [`STEPS_FAILED_EXIT`]; the per-node summary was already printed.
#[derive(Debug, thiserror::Error)]
#[error("{failed} customers failed a step")]
pub struct StepsFailed {
    /// Customers whose step failed.
    pub failed: u64,
}

/// The exit code of a tick in which some step failed.
pub const STEPS_FAILED_EXIT: u8 = 3;
