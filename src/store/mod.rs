//! The customer store: customers, identifiers, events and consent in sled.
//!
//! One [`Store`] per process owns the sled database in the project's store folder. It keeps
//! one tree per concern (see [`keys`] for every tree and its key encoding):
//!
//! - customers with an internal [`CustomerId`], hard IDs (`email_id`, `klaviyo_id`), soft IDs
//!   (`cookie`), JSON properties and created/updated times ([`Customer`]);
//! - an ID index from every identifier to its customer, with the merge rule of [`identity`];
//! - events per customer in time order, and a global append-only event log whose sequence
//!   numbers let consumers tail it with a cursor ([`Event`], [`LoggedEvent`]);
//! - consent state per customer and category, kept current as `consent` events are recorded
//!   ([`ConsentState`]).
//!
//! Writes are few per customer (DESIGN §8): an upsert that changes nothing writes nothing, a
//! new customer costs one record plus one index entry per identifier, an event costs one
//! write to its customer's history plus its share of a log chunk (one per batch), and one
//! more for a consent event.
//!
//! Other modules keep their own trees in the same database through [`Store::tree`]. Tree
//! names starting with `engine/`, `actions/`, `klaviyo/` and `server/` are reserved for those
//! modules; the store's own trees have no prefix.
//!
//! Durability: writes reach disk in the background; call [`Store::flush`] before telling
//! anyone that data was accepted.

mod compact;
mod consent;
mod customer;
mod event;
mod event_log;
pub mod identity;
mod in_order;
pub mod keys;
mod lock_wait;
mod prefix_cursor;
mod query;
mod raw_customer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Mutex;

pub use compact::Compaction;
pub use consent::{ConsentAction, ConsentState, CONSENT_EVENT};
pub use customer::{Customer, CustomerRecord, StoredCustomer, UpsertOutcome};
pub use event::{Event, LoggedEvent, StoredEvent};
pub use query::EventQuery;
pub use raw_customer::RawCustomer;

/// Cache size of the sled page cache (DESIGN §8 measured with this size).
const CACHE_CAPACITY: u64 = 64 * 1024 * 1024;

/// Internal id of a customer: assigned by the store, never reused, stable across restarts.
/// An id absorbed by a merge keeps resolving to the survivor (see [`Store::resolve`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct CustomerId(pub u64);

impl std::fmt::Display for CustomerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process has the store open.
    #[error(
        "the store `{0}` is in use by another warmup process; stop it or use another store folder"
    )]
    InUse(PathBuf),
    /// sled could not open or write the store.
    #[error("store `{path}`: {source}")]
    Sled {
        /// Store folder.
        path: PathBuf,
        /// The sled error.
        source: sled::Error,
    },
    /// A stored value could not be decoded (the store is corrupt or from another version).
    #[error("corrupt {what} in the store: {detail}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why it could not be decoded.
        detail: String,
    },
    /// An identifier is malformed (e.g. an email without `@`).
    #[error("invalid {kind}: {reason}")]
    InvalidId {
        /// `email`, `klaviyo_id` or `cookie`.
        kind: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A record carries no identifier at all.
    #[error("a customer needs at least one of email, klaviyo_id or cookie")]
    NoId,
    /// An event that the store cannot accept (e.g. a consent event without a category).
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// The customer does not exist.
    #[error("no customer with id {0}")]
    UnknownCustomer(CustomerId),
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The customer store. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    customers: sled::Tree,
    ids: sled::Tree,
    merged: sled::Tree,
    events: sled::Tree,
    event_log: sled::Tree,
    consent: sled::Tree,
    /// Serialises identity changes (upsert, merge) so two writers cannot create the same
    /// customer twice.
    identity_lock: Mutex<()>,
    /// Serialises event appends; holds the next log sequence.
    event_lock: Mutex<u64>,
    /// Log entries below this sequence are completely written (history and log) and may be
    /// read by consumers.
    visible_seq: AtomicU64,
    /// Whether any merge was ever recorded; until then every id is its own live id.
    has_merges: AtomicBool,
    /// Cursors for reads in customer id order ([`in_order`]).
    in_order: in_order::InOrderReads,
}

impl Store {
    /// Opens (or creates) the store in `dir`. Fails with [`StoreError::InUse`] when another
    /// process still has it open after a short wait (a handle closed a moment ago releases
    /// its lock from a background thread).
    pub fn open(dir: &Path) -> Result<Self> {
        compact::recover(dir)?;
        Self::with_config(config(dir), dir.to_path_buf())
    }

    /// A store in a temporary folder that disappears when the store is dropped (tests).
    pub fn temporary() -> Result<Self> {
        let config = sled::Config::new()
            .temporary(true)
            .cache_capacity(CACHE_CAPACITY)
            .mode(sled::Mode::HighThroughput);
        Self::with_config(config, PathBuf::from("<temporary>"))
    }

    fn with_config(config: sled::Config, path: PathBuf) -> Result<Self> {
        let db = lock_wait::open_waiting(lock_wait::LOCK_WAIT, || config.open())
            .map_err(|source| open_error(&path, source))?;
        let tree = |name: &str| {
            db.open_tree(name)
                .map_err(|source| open_error(&path, source))
        };
        let event_log = tree("event_log")?;
        let next_seq =
            event_log::next_seq(&event_log).map_err(|source| open_error(&path, source))?;
        let merged = tree("merged")?;
        Ok(Self {
            customers: tree("customers")?,
            ids: tree("ids")?,
            has_merges: AtomicBool::new(!merged.is_empty()),
            merged,
            events: tree("events")?,
            consent: tree("consent")?,
            event_log,
            db,
            path,
            identity_lock: Mutex::new(()),
            event_lock: Mutex::new(next_seq),
            visible_seq: AtomicU64::new(next_seq),
            in_order: in_order::InOrderReads::default(),
        })
    }

    /// The sled database, for modules that need more than [`Store::tree`].
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Opens a tree of another module. Names starting with `engine/`, `actions/`, `klaviyo/`
    /// and `server/` are reserved for those modules.
    pub fn tree(&self, name: &str) -> Result<sled::Tree> {
        self.db.open_tree(name).map_err(|e| self.sled(e))
    }

    /// The store folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes everything to disk; call before acknowledging accepted data.
    pub fn flush(&self) -> Result<()> {
        self.db.flush().map(drop).map_err(|e| self.sled(e))
    }

    /// Wraps a sled error with the store path.
    fn sled(&self, source: sled::Error) -> StoreError {
        StoreError::Sled {
            path: self.path.clone(),
            source,
        }
    }
}

/// The sled settings of a store in `dir`.
fn config(dir: &Path) -> sled::Config {
    sled::Config::new()
        .path(dir)
        .cache_capacity(CACHE_CAPACITY)
        .mode(sled::Mode::HighThroughput)
}

/// Maps an error from opening the database, recognising sled's lock failure.
fn open_error(path: &Path, source: sled::Error) -> StoreError {
    if lock_wait::is_lock_error(&source) {
        StoreError::InUse(path.to_path_buf())
    } else {
        StoreError::Sled {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Decodes an 8-byte big-endian integer key.
fn key_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}

/// Decodes a JSON value of the store, naming what it was on failure.
fn decode<T: serde::de::DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

/// Encodes a value of the store as JSON.
fn encode<T: serde::Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}
