//! Why a webhook node cannot be turned into an action.

use crate::actions::duration::DurationError;
use crate::project::SecretError;

/// A webhook node that cannot run, naming the node and the field at fault.
/// Never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum WebhookConfigError {
    /// The node names an auth schema the project does not define.
    #[error("webhook `{node}`: `auth`: no auth schema named `{name}` in the project")]
    UnknownAuth { node: String, name: String },
    /// A Klaviyo preset without an auth schema.
    #[error("webhook `{node}`: preset `{preset}` needs `auth` naming the Klaviyo auth schema")]
    PresetNeedsAuth { node: String, preset: &'static str },
    /// Neither `preset` nor `url`, or both.
    #[error("webhook `{node}`: give exactly one of `preset` or `url`")]
    PresetOrUrl { node: String },
    /// A required `with` parameter is missing, or an unknown one is given.
    #[error("webhook `{node}`: `with.{param}`: {message}")]
    Param {
        node: String,
        param: String,
        message: String,
    },
    /// A template does not compile.
    #[error("webhook `{node}`: `{field}`: {message}")]
    Template {
        node: String,
        field: String,
        message: String,
    },
    /// `batch.size` is 0 or above what the preset allows.
    #[error("webhook `{node}`: `batch.size`: {size} is not within 1..={max}")]
    BatchSize {
        node: String,
        size: usize,
        max: usize,
    },
    /// A duration field does not parse.
    #[error("webhook `{node}`: {source}")]
    Duration { node: String, source: DurationError },
    /// The auth schema's secret cannot be read.
    #[error("webhook `{node}`: auth schema `{schema}`: {source}")]
    Secret {
        node: String,
        schema: String,
        source: SecretError,
    },
    /// An auth header does not render or is not a valid header.
    #[error("webhook `{node}`: auth schema `{schema}`: header `{header}`: {message}")]
    AuthHeader {
        node: String,
        schema: String,
        header: String,
        message: String,
    },
}
