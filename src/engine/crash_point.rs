//! Crash points for the crash-safety tests: when the environment variable
//! `WARMUP_CRASH_AT` is `NAME:N`, the process aborts (like a SIGKILL: no destructors, no
//! flush) the N-th time it reaches the point `NAME`. Unset, a point costs one relaxed load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

static TARGET: OnceLock<Option<(String, u64)>> = OnceLock::new();
static HITS: AtomicU64 = AtomicU64::new(0);

fn target() -> &'static Option<(String, u64)> {
    TARGET.get_or_init(|| {
        let spec = std::env::var("WARMUP_CRASH_AT").ok()?;
        let (name, count) = spec.rsplit_once(':')?;
        Some((name.to_owned(), count.parse().ok()?))
    })
}

/// Marks that execution reached the named point; aborts there when told to.
pub fn reached(name: &str) {
    if let Some((wanted, count)) = target() {
        if wanted == name && HITS.fetch_add(1, Ordering::Relaxed) + 1 == *count {
            std::process::abort();
        }
    }
}
