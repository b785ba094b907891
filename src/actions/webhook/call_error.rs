//! Why one item could not be turned into (part of) a request.

/// An item whose templates do not render; it fails without a request being made.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ItemError {
    /// The field, e.g. `with.profile_id` or `body`.
    pub field: String,
    /// minijinja's explanation.
    pub message: String,
}

impl ItemError {
    /// An error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
