//! Why an e-mail node or transport cannot be set up, or a message cannot be built.

use std::path::PathBuf;

use super::ca_file::CaFileError;
use crate::project::SecretError;

/// Set-up and rendering errors. Never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// A template file failed to load or render.
    #[error("e-mail template `{}`: {message}", file.display())]
    Template {
        /// The file, e.g. `templates/welcome/subject.txt`.
        file: PathBuf,
        /// minijinja's explanation (with line where known).
        message: String,
    },
    /// The node's `template` (itself a template) does not render.
    #[error("e-mail `template`: {0}")]
    NameTemplate(String),
    /// The template name renders to something that is not a plain folder name.
    #[error("e-mail `template`: `{0}` is not a template folder name")]
    TemplateName(String),
    /// An address (from, reply_to, the customer's e-mail) does not parse.
    #[error("e-mail `{field}`: `{value}` is not a valid address: {message}")]
    Address {
        field: String,
        value: String,
        message: String,
    },
    /// A header template does not render or is not a valid header.
    #[error("e-mail header `{header}`: {message}")]
    Header { header: String, message: String },
    /// lettre refused to build the message.
    #[error("e-mail message: {0}")]
    Build(String),
    /// A secret (signing key, SMTP password) cannot be read.
    #[error("e-mail `{field}`: {source}")]
    Secret {
        field: &'static str,
        source: SecretError,
    },
    /// The transport's `ca_file` cannot be read or holds no usable certificate.
    #[error("e-mail `transport.ca_file`: {0}")]
    CaFile(#[source] CaFileError),
    /// The SMTP transport cannot be configured.
    #[error("e-mail transport: {0}")]
    Transport(String),
}
