//! Imports into the store: customers from Klaviyo CSV exports, events from JSON Lines.
//!
//! Both importers stream their input (memory does not grow with the file), keep every good
//! row, report each bad one with its line number and reason, write bad rows to a rejects
//! file, and return an [`ImportSummary`]. They do not flush: the caller flushes the store
//! before reporting success.

mod columns;
mod csv_records;
mod customers;
mod dates;
mod events;
mod rejects;
mod summary;

use std::path::PathBuf;

pub use columns::{snake_case, Column, Columns};
pub use csv_records::{CsvItem, CsvRecords, MAX_RECORD};
pub use customers::{import_customers, import_customers_from, CustomerImportOptions};
pub use dates::{format_date, parse_date, plausible};
pub use events::{import_events, import_events_from, EventImportOptions, EventLine};
pub use rejects::{Reject, Rejects, LISTED_REJECTS};
pub use summary::ImportSummary;

/// Why an import stopped. Bad rows do not stop an import; they are rejects.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input file cannot be read.
    #[error("cannot read `{path}`: {message}")]
    Read {
        /// Input file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The CSV header is unusable (e.g. no email column, a column written twice).
    #[error("{path}:{line}: {message}")]
    Header {
        /// Input file.
        path: PathBuf,
        /// The header's line.
        line: u64,
        /// What is wrong with the header.
        message: String,
    },
    /// The rejects file cannot be written.
    #[error("cannot write rejects file `{path}`: {message}")]
    Rejects {
        /// Rejects file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Called with the number of input bytes consumed so far (for a progress bar).
pub type Progress<'a> = &'a mut dyn FnMut(u64);
