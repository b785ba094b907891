//! SMTP without TLS (a relay on the same host or network): lettre's SMTP client over
//! connections this pool opens itself, with `TCP_NODELAY`.
//!
//! lettre writes a message and its `<CRLF>.<CRLF>` terminator as two writes. With Nagle's
//! algorithm on, the terminator waits for the server to acknowledge the message, and
//! servers delay that acknowledgement (about 40 ms on Linux): one message per 40 ms per
//! connection. lettre's own transport offers no way to turn Nagle off, so plain
//! connections are opened here; TLS connections stay with lettre's transport.

use std::sync::Mutex;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;

use crate::actions::error_chain::error_chain;

/// Idle connections to one server, reused for later messages.
pub struct PlainSmtpPool {
    host: String,
    port: u16,
    credentials: Option<Credentials>,
    timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
}

impl std::fmt::Debug for PlainSmtpPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainSmtpPool")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("authenticates", &self.credentials.is_some())
            .finish_non_exhaustive()
    }
}

/// Why a send through the pool failed: the server's reply, or no reply.
pub enum PlainError {
    /// lettre's error, which carries the reply code when there was one.
    Smtp(lettre::transport::smtp::Error),
    /// Connecting or waiting failed.
    Io(String),
}

impl PlainSmtpPool {
    /// A pool for `host:port`, keeping up to `max_idle` connections open.
    pub fn new(
        host: &str,
        port: u16,
        credentials: Option<Credentials>,
        timeout: Duration,
        max_idle: usize,
    ) -> Self {
        Self {
            host: host.to_owned(),
            port,
            credentials,
            timeout,
            max_idle,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends one message on an idle connection or a new one. A connection that saw any
    /// error is closed rather than reused.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), PlainError> {
        let idle = self
            .lock()
            .pop()
            .filter(|connection| !connection.has_broken());
        let mut connection = match idle {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        match tokio::time::timeout(self.timeout, connection.send(envelope, message)).await {
            Ok(Ok(_)) => {
                let mut idle = self.lock();
                if idle.len() < self.max_idle {
                    idle.push(connection);
                }
                Ok(())
            }
            Ok(Err(error)) => Err(PlainError::Smtp(error)),
            Err(_) => Err(PlainError::Io(format!(
                "no reply within {} s",
                self.timeout.as_secs()
            ))),
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, PlainError> {
        let address = (self.host.as_str(), self.port);
        let stream = tokio::time::timeout(self.timeout, TcpStream::connect(address))
            .await
            .map_err(|_| {
                PlainError::Io(format!(
                    "connecting to {}:{} timed out",
                    self.host, self.port
                ))
            })?
            .map_err(|error| {
                PlainError::Io(format!(
                    "connecting to {}:{}: {}",
                    self.host,
                    self.port,
                    error_chain(&error)
                ))
            })?;
        stream
            .set_nodelay(true)
            .map_err(|error| PlainError::Io(error.to_string()))?;
        let hello = ClientId::default();
        let greeting = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello);
        let mut connection = tokio::time::timeout(self.timeout, greeting)
            .await
            .map_err(|_| PlainError::Io("no greeting from the server".to_owned()))?
            .map_err(PlainError::Smtp)?;
        if let Some(credentials) = &self.credentials {
            let mechanisms = [Mechanism::Plain, Mechanism::Login];
            connection
                .auth(&mechanisms, credentials)
                .await
                .map_err(PlainError::Smtp)?;
        }
        Ok(connection)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<AsyncSmtpConnection>> {
        // The list stays valid whatever a panicking holder did: keep using it.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
