//! A minimal HTTP/1.1 server on loopback (std threads, keep-alive) that answers each request
//! with the next status of a script and records every request's head and body.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Requests seen so far, each as its head followed by its body.
pub type Requests = Arc<Mutex<Vec<String>>>;

/// Starts the server; request N gets `statuses[N]`, and every later one the last status.
/// Replies carry `retry-after: 0` so a retried status costs no time.
pub fn serve(statuses: &'static [u16]) -> (u16, Requests) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Requests = Arc::default();
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let record = record.clone();
            std::thread::spawn(move || answer(stream, statuses, &record));
        }
    });
    (port, seen)
}

fn answer(stream: TcpStream, statuses: &[u16], record: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    while let Some(request) = read_request(&mut reader) {
        let status = {
            let mut seen = record.lock().unwrap();
            seen.push(request);
            statuses[(seen.len() - 1).min(statuses.len() - 1)]
        };
        let reply =
            format!("HTTP/1.1 {status} Status\r\nretry-after: 0\r\ncontent-length: 0\r\n\r\n");
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Reads one request (head and `content-length` body); `None` when the client closed.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    head.push_str(&String::from_utf8_lossy(&body));
    Some(head)
}
