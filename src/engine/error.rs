//! Why the engine could not do something.

/// An engine failure. Failures of one customer's step (a template that does not render for
/// this customer, a webhook that failed for good) are not errors: they move the token to
/// `on_failure` or count it as failed. These are failures of the engine's own machinery.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The engine's sled state could not be read or written.
    #[error("engine state: {0}")]
    Sled(#[from] sled::Error),
    /// A value in the engine's state could not be decoded.
    #[error("corrupt engine state ({what}): {detail}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why it could not be decoded.
        detail: String,
    },
    /// The customer store failed.
    #[error("customer store: {0}")]
    Store(String),
    /// A run refers to a scenario version whose source is not available or no longer compiles.
    #[error("scenario `{scenario}` version {version}: {reason}")]
    Version {
        /// Scenario name.
        scenario: String,
        /// Version hash.
        version: String,
        /// What went wrong.
        reason: String,
    },
    /// An action implementation failed as a whole (not per customer).
    #[error("action: {0}")]
    Action(String),
    /// A stop was requested ([`crate::engine::stop::StopFlag`]): the wave stopped between
    /// e-mails, with what it settled committed and the rest still due.
    #[error("stopped on request before the end of the wave; the rest is due at the next start")]
    Stopped,
}

/// Result of engine operations.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Decodes a JSON value of the engine state.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| EngineError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

/// Encodes a value of the engine state as JSON.
pub(crate) fn encode<T: serde::Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| EngineError::Corrupt {
        what,
        detail: e.to_string(),
    })
}
