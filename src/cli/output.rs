//! Standard output and error that survive their reader going away.
//!
//! `print!` panics when stdout is a closed pipe (`warmup validate | head`), and a panic
//! mid-command is an exit code 101 and a half-done job. Every command writes through
//! [`write_out`] and [`write_err`] instead: once a write to a stream fails (EPIPE, or any other
//! error), later output to that stream is dropped without retrying, and the command
//! finishes its work — a tick its waves, an import its flush — and exits with its usual
//! code.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to standard output (nothing once it is closed).
pub fn write_out(args: fmt::Arguments<'_>) {
    write_to(&mut io::stdout().lock(), &STDOUT_CLOSED, args);
}

/// Writes to standard error (nothing once it is closed).
pub fn write_err(args: fmt::Arguments<'_>) {
    write_to(&mut io::stderr().lock(), &STDERR_CLOSED, args);
}

/// Standard error for the log subscriber: a write to a closed stderr succeeds silently,
/// so logging never fails (tracing-subscriber would report the failure with `eprintln!`,
/// which panics on a closed pipe, wherever the log line was written from).
pub fn log_writer() -> LogWriter {
    LogWriter
}

/// See [`log_writer`].
#[derive(Debug)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !STDERR_CLOSED.load(Ordering::Relaxed) && io::stderr().write_all(buf).is_err() {
            STDERR_CLOSED.store(true, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !STDERR_CLOSED.load(Ordering::Relaxed) && io::stderr().flush().is_err() {
            STDERR_CLOSED.store(true, Ordering::Relaxed);
        }
        Ok(())
    }
}

fn write_to(stream: &mut dyn Write, closed: &AtomicBool, args: fmt::Arguments<'_>) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if stream
        .write_fmt(args)
        .and_then(|()| stream.flush())
        .is_err()
    {
        closed.store(true, Ordering::Relaxed);
    }
}

/// Like `print!`, through [`write_out`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::write_out(format_args!($($arg)*))
    };
}

/// Like `eprint!`, through [`write_err`].
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::cli::output::write_err(format_args!($($arg)*))
    };
}

/// Like `println!`, through [`write_out`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Like `eprintln!`, through [`write_err`].
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::output::write_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {err, errln, out, outln};

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader is gone.
    struct Closed(usize);

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            self.0 += 1;
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_stream_is_written_once_then_left_alone() {
        let closed = AtomicBool::new(false);
        let mut stream = Closed(0);
        for _ in 0..1000 {
            write_to(&mut stream, &closed, format_args!("line\n"));
        }
        assert!(closed.load(Ordering::Relaxed));
        assert_eq!(stream.0, 1);
    }
}
