//! The e-mail action: templates rendered from the project's template folder, a message
//! with unsubscribe headers, sent through SMTP or written to an outbox folder.

mod action;
mod ca_file;
mod error;
mod message;
mod outcome;
mod plain_smtp_pool;
mod templates;
mod transport;

pub use action::{EmailAction, PreparedEmail};
pub use ca_file::{CaFile, CaFileError};
pub use error::EmailError;
pub use message::{unsubscribe_url, MessageParts};
pub use outcome::EmailOutcome;
pub use templates::{EmailTemplates, RenderedEmail};
pub use transport::{EmailTransport, SendError};
