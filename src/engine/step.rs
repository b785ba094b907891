//! How one customer's step can fail.

use super::error::EngineError;

/// A step that did not work out: for this customer only (the token fails), or for the
/// engine as a whole (the tick stops; nothing of the step is committed).
#[derive(Debug, thiserror::Error)]
pub enum StepFailure {
    /// This customer's step failed (a template that does not render for them, a value that
    /// is not a number): the token leaves through `on_failure` or is counted as failed.
    #[error("{0}")]
    Customer(String),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Result of a customer's step.
pub type StepResult<T> = Result<T, StepFailure>;
