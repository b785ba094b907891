//! A small RFC 5321 receiver on 127.0.0.1: EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA (with
//! dot-unstuffing), RSET, NOOP, QUIT, and STARTTLS (RFC 3207) or TLS from the first byte
//! when started with a certificate. Keeps every accepted message and notes whether each
//! command came over TLS; recipients can be made to fail permanently or a number of times
//! temporarily.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
    /// Whether the message came over TLS.
    pub tls: bool,
}

/// One AUTH PLAIN the server was given, right or wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthAttempt {
    pub user: String,
    pub password: String,
    /// Whether it came over TLS.
    pub tls: bool,
}

/// How the server protects its sessions.
#[derive(Clone, Default)]
pub enum Security {
    /// Plain SMTP; STARTTLS is not offered.
    #[default]
    Plain,
    /// TLS from the first byte (SMTPS, port 465 style).
    Implicit(TlsAcceptor),
    /// A plain greeting; STARTTLS offered and performed on request. AUTH is offered before
    /// the upgrade too, so a client that authenticates in plain text would be seen.
    StartTls(TlsAcceptor),
}

/// Shared server state, readable and steerable by the test.
#[derive(Debug, Default)]
pub struct SmtpState {
    pub messages: Mutex<Vec<Received>>,
    /// Keep message data (off for benchmarks: only count).
    pub keep: std::sync::atomic::AtomicBool,
    pub accepted: AtomicUsize,
    /// Recipient → permanent reply to RCPT.
    pub reject: Mutex<HashMap<String, (u16, String)>>,
    /// Recipient → number of `451` replies to give before accepting.
    pub defer: Mutex<HashMap<String, u32>>,
    /// Required AUTH PLAIN credentials, if any.
    pub credentials: Mutex<Option<(String, String)>>,
    pub rcpt_commands: AtomicUsize,
    /// Every AUTH PLAIN received (kept only with `keep`).
    pub auth: Mutex<Vec<AuthAttempt>>,
    /// Every command verb received and whether it came over TLS (kept only with `keep`).
    pub commands: Mutex<Vec<(String, bool)>>,
    /// TLS handshakes that failed (e.g. the client refused the certificate).
    pub failed_handshakes: AtomicUsize,
    /// Milliseconds between the end of a message's data and its `250` (a slow server). The
    /// message counts as received when the wait is over, answered or not.
    pub data_delay_ms: AtomicU64,
}

/// The running server; stops accepting when dropped.
pub struct SmtpServer {
    pub port: u16,
    pub state: Arc<SmtpState>,
    stop: CancellationToken,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl SmtpServer {
    /// A plain SMTP server.
    pub async fn start() -> Self {
        Self::start_with(Security::Plain).await
    }

    /// A server protecting its sessions as `security` says.
    pub async fn start_with(security: Security) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(SmtpState::default());
        state.keep.store(true, Ordering::SeqCst);
        let stop = CancellationToken::new();
        let (serving, stopped) = (state.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.cancelled() => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let (state, security) = (serving.clone(), security.clone());
                        tokio::spawn(async move { let _ = connection(stream, state, security).await; });
                    }
                }
            }
        });
        Self { port, state, stop }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.state.messages.lock().unwrap().clone()
    }

    pub fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    pub fn auth_attempts(&self) -> Vec<AuthAttempt> {
        self.state.auth.lock().unwrap().clone()
    }

    /// The command verbs received, each with whether it came over TLS.
    pub fn commands(&self) -> Vec<(String, bool)> {
        self.state.commands.lock().unwrap().clone()
    }
}

/// What ended a session: the client left, or asked for STARTTLS and got `220`.
enum Ended<S> {
    Closed,
    StartTls(S),
}

/// Serves one connection: a TLS handshake first (implicit), or a plain session that may be
/// upgraded once (STARTTLS), after which the client starts over with EHLO (RFC 3207 §4.2).
async fn connection(
    stream: TcpStream,
    state: Arc<SmtpState>,
    security: Security,
) -> std::io::Result<()> {
    // Replies to pipelined commands are separate writes: do not hold them back (Nagle).
    stream.set_nodelay(true)?;
    let acceptor = match security {
        Security::Plain => {
            session(stream, &state, Mode::PLAIN).await?;
            return Ok(());
        }
        Security::Implicit(acceptor) => acceptor,
        Security::StartTls(acceptor) => {
            let Ended::StartTls(stream) = session(stream, &state, Mode::OFFER_STARTTLS).await?
            else {
                return Ok(());
            };
            let mut tls = handshake(&acceptor, stream, &state).await?;
            return session(&mut tls, &state, Mode::UPGRADED).await.map(drop);
        }
    };
    let mut tls = handshake(&acceptor, stream, &state).await?;
    session(&mut tls, &state, Mode::IMPLICIT).await.map(drop)
}

async fn handshake(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
    state: &SmtpState,
) -> std::io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
    acceptor.accept(stream).await.inspect_err(|_| {
        state.failed_handshakes.fetch_add(1, Ordering::SeqCst);
    })
}

/// What one session (before or after an upgrade) does.
#[derive(Clone, Copy)]
struct Mode {
    greet: bool,
    tls: bool,
    offer_starttls: bool,
}

impl Mode {
    const PLAIN: Mode = Mode {
        greet: true,
        tls: false,
        offer_starttls: false,
    };
    const OFFER_STARTTLS: Mode = Mode {
        greet: true,
        tls: false,
        offer_starttls: true,
    };
    const IMPLICIT: Mode = Mode {
        greet: true,
        tls: true,
        offer_starttls: false,
    };
    /// After STARTTLS: no new greeting, the client speaks first.
    const UPGRADED: Mode = Mode {
        greet: false,
        tls: true,
        offer_starttls: false,
    };
}

async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    state: &SmtpState,
    mode: Mode,
) -> std::io::Result<Ended<S>> {
    let mut lines = BufReader::new(stream);
    if mode.greet {
        let write = lines.get_mut();
        write.write_all(b"220 localhost ESMTP test\r\n").await?;
        write.flush().await?;
    }
    let mut from = String::new();
    let mut to = Vec::new();
    let mut authenticated = false;
    let mut line = String::new();
    let keep = state.keep.load(Ordering::SeqCst);
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(Ended::Closed);
        }
        let command = line.trim_end();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if keep {
            state
                .commands
                .lock()
                .unwrap()
                .push((verb.clone(), mode.tls));
        }
        let needs_auth = state.credentials.lock().unwrap().is_some() && !authenticated;
        let reply: String = match verb.as_str() {
            "EHLO" => {
                let starttls = if mode.offer_starttls {
                    "250-STARTTLS\r\n"
                } else {
                    ""
                };
                format!(
                    "250-localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n{starttls}250 AUTH PLAIN\r\n"
                )
            }
            "STARTTLS" if mode.offer_starttls => {
                let write = lines.get_mut();
                write.write_all(b"220 2.0.0 Ready to start TLS\r\n").await?;
                write.flush().await?;
                // Anything the client pipelined after STARTTLS is dropped, as RFC 3207 says.
                return Ok(Ended::StartTls(lines.into_inner()));
            }
            "HELO" => "250 localhost\r\n".into(),
            "AUTH" => {
                let given = command.split_whitespace().nth(2).unwrap_or("");
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(given)
                    .unwrap_or_default();
                let parts: Vec<String> = decoded
                    .split(|b| *b == 0)
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect();
                if let ([_, user, password], true) = (parts.as_slice(), keep) {
                    state.auth.lock().unwrap().push(AuthAttempt {
                        user: user.clone(),
                        password: password.clone(),
                        tls: mode.tls,
                    });
                }
                let expected = state.credentials.lock().unwrap().clone();
                let ok = matches!((&expected, parts.as_slice()), (Some((u, p)), [_, gu, gp]) if u == gu && p == gp);
                authenticated = ok;
                if ok {
                    "235 2.7.0 Authentication successful\r\n".into()
                } else {
                    "535 5.7.8 Authentication failed\r\n".into()
                }
            }
            _ if needs_auth && matches!(verb.as_str(), "MAIL" | "RCPT" | "DATA") => {
                "530 5.7.0 Authentication required\r\n".into()
            }
            "MAIL" => {
                from = address(command);
                to.clear();
                "250 2.1.0 OK\r\n".into()
            }
            "RCPT" => {
                state.rcpt_commands.fetch_add(1, Ordering::SeqCst);
                let recipient = address(command);
                rcpt_reply(state, &recipient).unwrap_or_else(|| {
                    to.push(recipient);
                    "250 2.1.5 OK\r\n".into()
                })
            }
            "DATA" if to.is_empty() => "554 5.5.1 No valid recipients\r\n".into(),
            "DATA" => {
                let write = lines.get_mut();
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                write.flush().await?;
                let data = read_data(&mut lines).await?;
                let delay = state.data_delay_ms.load(Ordering::SeqCst);
                if delay > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                }
                let number = state.accepted.fetch_add(1, Ordering::SeqCst) + 1;
                if state.keep.load(Ordering::SeqCst) {
                    let received = Received {
                        from: from.clone(),
                        to: std::mem::take(&mut to),
                        data,
                        tls: mode.tls,
                    };
                    state.messages.lock().unwrap().push(received);
                }
                to.clear();
                format!("250 2.0.0 OK queued as {number}\r\n")
            }
            "RSET" => {
                from.clear();
                to.clear();
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "QUIT" => {
                lines.get_mut().write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(Ended::Closed);
            }
            _ => "500 5.5.2 Command not recognized\r\n".into(),
        };
        let write = lines.get_mut();
        write.write_all(reply.as_bytes()).await?;
        // A TLS stream holds records back until flushed.
        write.flush().await?;
    }
}

fn rcpt_reply(state: &SmtpState, recipient: &str) -> Option<String> {
    if let Some((code, text)) = state.reject.lock().unwrap().get(recipient) {
        return Some(format!("{code} {text}\r\n"));
    }
    let mut defer = state.defer.lock().unwrap();
    match defer.get_mut(recipient) {
        Some(left) if *left > 0 => {
            *left -= 1;
            Some("451 4.3.0 Try again later\r\n".into())
        }
        _ => None,
    }
}

/// The address in `MAIL FROM:<a>` / `RCPT TO:<a>`.
fn address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_owned()
}

async fn read_data<R: AsyncBufReadExt + Unpin>(lines: &mut R) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(data);
        }
        // RFC 5321 §4.5.2: a leading dot was doubled by the client.
        let content = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(content);
    }
}
