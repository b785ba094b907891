//! Opening sled while a just-closed handle still holds the file lock.
//!
//! sled 0.34 releases its `flock` from a background flusher thread after the last `Db` handle
//! is dropped, so reopening a store right after closing it (a restart inside one process, or
//! a `warmup tick` that starts while the previous one is still exiting) can briefly see the
//! lock taken. Waiting a short, bounded time separates that from a store truly in use.

use std::time::{Duration, Instant};

/// How long a held lock is waited for before the store is reported as in use.
pub const LOCK_WAIT: Duration = Duration::from_millis(1500);

/// Pause between attempts.
const RETRY_EVERY: Duration = Duration::from_millis(25);

/// Whether `error` is sled's failure to take the store's file lock.
pub fn is_lock_error(error: &sled::Error) -> bool {
    matches!(error, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// Calls `open` until it succeeds, fails with something other than a lock error, or `wait`
/// has passed; the last result is returned.
pub fn open_waiting<T>(
    wait: Duration,
    mut open: impl FnMut() -> sled::Result<T>,
) -> sled::Result<T> {
    let deadline = Instant::now() + wait;
    loop {
        match open() {
            Err(error) if is_lock_error(&error) && Instant::now() < deadline => {
                std::thread::sleep(RETRY_EVERY);
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn lock_error() -> sled::Error {
        sled::Error::Io(io::Error::new(
            io::ErrorKind::WouldBlock,
            "could not acquire lock on \"db\"",
        ))
    }

    #[test]
    fn a_lock_released_while_waiting_opens() {
        let mut attempts = 0;
        let result = open_waiting(Duration::from_secs(5), || {
            attempts += 1;
            if attempts < 3 {
                Err(lock_error())
            } else {
                Ok(attempts)
            }
        });
        assert_eq!(result.unwrap(), 3);
    }

    #[test]
    fn a_lock_held_past_the_wait_is_reported() {
        let started = Instant::now();
        let result: sled::Result<()> =
            open_waiting(Duration::from_millis(100), || Err(lock_error()));
        assert!(is_lock_error(&result.unwrap_err()));
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    #[test]
    fn other_errors_are_not_retried() {
        let mut attempts = 0;
        let result: sled::Result<()> = open_waiting(Duration::from_secs(5), || {
            attempts += 1;
            Err(sled::Error::Unsupported("x".into()))
        });
        assert!(!is_lock_error(&result.unwrap_err()));
        assert_eq!(attempts, 1);
    }
}
