//! A small RFC 5321 receiver on 127.0.0.1: EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA (with
//! dot-unstuffing), RSET, NOOP, QUIT. Keeps every accepted message; recipients can be
//! made to fail permanently or a number of times temporarily.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
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
    pub async fn start() -> Self {
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
                        let state = serving.clone();
                        tokio::spawn(async move { let _ = session(stream, state).await; });
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
}

async fn session(stream: TcpStream, state: Arc<SmtpState>) -> std::io::Result<()> {
    // Replies to pipelined commands are separate writes: do not hold them back (Nagle).
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 localhost ESMTP test\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut authenticated = false;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let needs_auth = state.credentials.lock().unwrap().is_some() && !authenticated;
        let reply: String = match verb.as_str() {
            "EHLO" => "250-localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN\r\n".into(),
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
                rcpt_reply(&state, &recipient).unwrap_or_else(|| {
                    to.push(recipient);
                    "250 2.1.5 OK\r\n".into()
                })
            }
            "DATA" if to.is_empty() => "554 5.5.1 No valid recipients\r\n".into(),
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let data = read_data(&mut lines).await?;
                let number = state.accepted.fetch_add(1, Ordering::SeqCst) + 1;
                if state.keep.load(Ordering::SeqCst) {
                    let received = Received {
                        from: from.clone(),
                        to: std::mem::take(&mut to),
                        data,
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
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "500 5.5.2 Command not recognized\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
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
