//! Where messages go: an SMTP server through lettre's pooled tokio transport, or a folder
//! of `.eml` files. Each transport carries its own send-rate limit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::ca_file::CaFile;
use super::error::EmailError;
use super::plain_smtp_pool::{PlainError, PlainSmtpPool};
use crate::actions::error_chain::error_chain;
use crate::actions::rate_limiter::RateLimiter;
use crate::project::{Secret, SmtpTls, Transport};

/// Added to a refused server certificate, which is most often a private CA's.
const CERTIFICATE_HINT: &str =
    " (the server's certificate is not signed by a trusted root; a private CA's certificate goes in `email.transport.ca_file`)";

/// A configured transport; share it (through an `Arc`) between all e-mail nodes.
#[derive(Debug)]
pub struct EmailTransport {
    kind: Kind,
    limiter: Option<RateLimiter>,
    password: Option<Secret>,
    /// The runtime the SMTP pool was built on (see the `Drop` impl).
    runtime: Option<tokio::runtime::Handle>,
}

#[derive(Debug)]
enum Kind {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Plain(PlainSmtpPool),
    Outbox(PathBuf),
}

/// Why one send did not go through.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The SMTP server answered with a reply code (4xx transient, 5xx permanent).
    #[error("SMTP {code}: {message}")]
    Reply { code: u16, message: String },
    /// No reply: connection, TLS, timeout or protocol trouble.
    #[error("SMTP: {0}")]
    Connection(String),
    /// Writing the outbox file failed.
    #[error("outbox `{}`: {source}", path.display())]
    Outbox {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl EmailTransport {
    /// The transport the project configures; relative paths resolve against `root`.
    pub fn from_config(
        transport: &Transport,
        rate_limit: Option<crate::project::RateLimit>,
        root: &Path,
    ) -> Result<Self, EmailError> {
        let limiter = rate_limit.map(RateLimiter::new);
        let (kind, password) = match transport {
            Transport::Outbox { dir } => (Kind::Outbox(root.join(dir)), None),
            Transport::Smtp {
                host,
                port,
                tls,
                username,
                password,
                timeout_seconds,
                ca_file,
            } => {
                let password = match password {
                    Some(source) => {
                        Some(source.read(root).map_err(|source| EmailError::Secret {
                            field: "transport.password",
                            source,
                        })?)
                    }
                    None => None,
                };
                let ca_file = match ca_file {
                    Some(path) => Some(CaFile::read(&root.join(path)).map_err(EmailError::CaFile)?),
                    None => None,
                };
                let settings = SmtpSettings {
                    host,
                    port: *port,
                    tls: *tls,
                    ca_file: ca_file.as_ref(),
                    username: username.as_deref(),
                    password: password.as_ref(),
                    timeout: Duration::from_secs(timeout_seconds.unwrap_or(30)),
                };
                // One pooled connection per send allowed in flight.
                let pool_size = rate_limit.and_then(|limit| limit.concurrency).unwrap_or(8);
                (smtp(pool_size, &settings)?, password)
            }
        };
        Ok(Self {
            kind,
            limiter,
            password,
            runtime: tokio::runtime::Handle::try_current().ok(),
        })
    }

    /// Sends `message` once (the caller retries), after waiting for the rate limit.
    pub async fn send(&self, message: &Message, message_id: &str) -> Result<(), SendError> {
        let _permit = match &self.limiter {
            Some(limiter) => Some(limiter.acquire().await),
            None => None,
        };
        match &self.kind {
            Kind::Smtp(smtp) => smtp
                .send(message.clone())
                .await
                .map(drop)
                .map_err(|error| self.smtp_error(&error)),
            Kind::Plain(pool) => {
                let sent = pool.send(message.envelope(), &message.formatted()).await;
                sent.map_err(|error| match error {
                    PlainError::Smtp(error) => self.smtp_error(&error),
                    PlainError::Io(message) => SendError::Connection(self.redact(&message)),
                })
            }
            Kind::Outbox(dir) => write_eml(dir, message_id, &message.formatted()).await,
        }
    }

    fn smtp_error(&self, error: &lettre::transport::smtp::Error) -> SendError {
        let mut message = self.redact(&without_repeats(&error_chain(error)));
        if message.contains("invalid peer certificate") {
            message.push_str(CERTIFICATE_HINT);
        }
        match error.status() {
            Some(code) => SendError::Reply {
                code: code.into(),
                message,
            },
            None => SendError::Connection(message),
        }
    }

    fn redact(&self, text: &str) -> String {
        match &self.password {
            Some(password) => password.redact(text),
            None => text.to_owned(),
        }
    }
}

/// lettre wraps some errors in one of the same kind (`Connection error: Connection error:
/// …`): say each part once.
fn without_repeats(text: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split(": ") {
        if parts.last() != Some(&part) {
            parts.push(part);
        }
    }
    parts.join(": ")
}

impl Drop for EmailTransport {
    fn drop(&mut self) {
        // lettre's pool spawns its shutdown onto the current runtime when dropped, and panics
        // outside one; the last owner (a CLI command finishing) may be outside. Give it the
        // runtime it was built on.
        if let (Kind::Smtp(_), Some(runtime)) = (&self.kind, &self.runtime) {
            let _inside = runtime.enter();
            self.kind = Kind::Outbox(PathBuf::new());
        }
    }
}

/// The SMTP fields of the project file, secrets and CA file read.
#[derive(Clone, Copy)]
struct SmtpSettings<'a> {
    host: &'a str,
    port: Option<u16>,
    tls: SmtpTls,
    ca_file: Option<&'a CaFile>,
    username: Option<&'a str>,
    password: Option<&'a Secret>,
    timeout: Duration,
}

fn smtp(pool_size: u32, settings: &SmtpSettings<'_>) -> Result<Kind, EmailError> {
    let SmtpSettings {
        host,
        port,
        tls,
        ca_file,
        username,
        password,
        timeout,
    } = *settings;
    let credentials = match (username, password) {
        (Some(user), Some(password)) => Some(Credentials::new(
            user.to_owned(),
            password.expose().to_owned(),
        )),
        (None, None) => None,
        _ => {
            let message = "`username` and `password` go together".to_owned();
            return Err(EmailError::Transport(message));
        }
    };
    let parameters = || {
        let built = match ca_file {
            Some(ca_file) => ca_file.tls_parameters(host),
            None => TlsParameters::new(host.to_owned()),
        };
        built.map_err(|error| EmailError::Transport(error_chain(&error)))
    };
    let (tls, default_port) = match tls {
        SmtpTls::Implicit => (Tls::Wrapper(parameters()?), 465),
        SmtpTls::Starttls => (Tls::Required(parameters()?), 587),
        SmtpTls::None => {
            let port = port.unwrap_or(25);
            let pool = PlainSmtpPool::new(host, port, credentials, timeout, pool_size as usize);
            return Ok(Kind::Plain(pool));
        }
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port.unwrap_or(default_port))
        .tls(tls)
        .timeout(Some(timeout))
        .pool_config(PoolConfig::new().max_size(pool_size.max(1)));
    if let Some(credentials) = credentials {
        builder = builder.credentials(credentials);
    }
    Ok(Kind::Smtp(builder.build()))
}

/// Writes the message to `DIR/<id>.eml` through a temporary file, so a reader of the
/// folder never sees half a message.
async fn write_eml(dir: &Path, message_id: &str, bytes: &[u8]) -> Result<(), SendError> {
    let stem: String = message_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.@".contains(*c))
        .collect();
    let path = dir.join(format!("{stem}.eml"));
    let temporary = dir.join(format!(".{stem}.eml.tmp"));
    let fail = |source| SendError::Outbox {
        path: path.clone(),
        source,
    };
    tokio::fs::create_dir_all(dir).await.map_err(fail)?;
    tokio::fs::write(&temporary, bytes).await.map_err(fail)?;
    tokio::fs::rename(&temporary, &path).await.map_err(fail)
}
