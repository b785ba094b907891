//! `warmup import events`: JSON Lines, one event a line, into the store.
//!
//! ```json
//! {"email": "jane@example.com", "type": "consent", "timestamp": "2026-11-02T10:00:00Z",
//!  "properties": {"action": "reject", "category": "newsletter"}}
//! ```
//! A line names its customer by any of `email`, `klaviyo_id`, `cookie` (a customer is
//! created when none matches) and may carry `customer_properties` to set on the customer.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::dates::{parse_date, plausible};
use super::rejects::Rejects;
use super::{ImportError, ImportSummary, Progress};
use crate::store::{CustomerRecord, Event, Store, StoreError, UpsertOutcome};

/// One line of an events file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventLine {
    /// Customer email (hard ID).
    #[serde(default)]
    pub email: Option<String>,
    /// Klaviyo profile id (hard ID).
    #[serde(default)]
    pub klaviyo_id: Option<String>,
    /// Browser cookie (soft ID).
    #[serde(default)]
    pub cookie: Option<String>,
    /// Event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened (RFC 3339 or another format of [`parse_date`]).
    pub timestamp: String,
    /// Event properties.
    #[serde(default)]
    pub properties: Map<String, Value>,
    /// Properties to set on the customer.
    #[serde(default)]
    pub customer_properties: Map<String, Value>,
}

/// Settings of an event import.
#[derive(Debug, Clone, Default)]
pub struct EventImportOptions {
    /// Where rejected lines go; none written when `None`.
    pub rejects: Option<std::path::PathBuf>,
    /// The project's consent categories: a consent event for another one is rejected,
    /// as the ingest API rejects it. Empty: any category (a project that defines none).
    pub categories: BTreeSet<String>,
    /// The clock that bounds timestamps (see [`super::plausible`]); `None`: the system's.
    pub now: Option<DateTime<Utc>>,
}

/// Imports a JSON Lines file. See [`import_events_from`].
pub fn import_events(
    store: &Store,
    path: &Path,
    options: &EventImportOptions,
    progress: Progress<'_>,
) -> Result<ImportSummary, ImportError> {
    let file = std::fs::File::open(path).map_err(|e| ImportError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    import_events_from(store, file, path, options, progress)
}

/// Imports events from a reader; `source` names it in messages. Blank lines are skipped;
/// bad lines are rejected with their line number, the rest recorded.
pub fn import_events_from<R: Read>(
    store: &Store,
    input: R,
    source: &Path,
    options: &EventImportOptions,
    progress: Progress<'_>,
) -> Result<ImportSummary, ImportError> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut rejects = Rejects::new(options.rejects.clone(), vec!["json".into()]);
    let now = options.now.unwrap_or_else(Utc::now);
    let mut summary = ImportSummary {
        source: source.to_path_buf(),
        kind: "events",
        ..ImportSummary::default()
    };
    let mut buffer = Vec::new();
    let (mut line, mut bytes) = (0u64, 0u64);
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|e| ImportError::Read {
                path: source.to_path_buf(),
                message: e.to_string(),
            })?;
        if read == 0 {
            break;
        }
        line += 1;
        bytes += read as u64;
        let text = buffer.trim_ascii();
        if text.is_empty() {
            continue;
        }
        summary.rows += 1;
        match import_line(store, text, options, now, &mut summary) {
            Ok(()) => {}
            Err(LineError::Reject(reason)) => rejects.add(line, reason, &[text])?,
            Err(LineError::Store(error)) => return Err(error.into()),
        }
        if summary.rows.is_multiple_of(4096) {
            progress(bytes);
        }
    }
    progress(bytes);
    let (rejected, listed, file) = rejects.finish()?;
    summary.rejected = rejected;
    summary.listed_rejects = listed;
    summary.rejects_file = file;
    Ok(summary)
}

enum LineError {
    Reject(String),
    Store(StoreError),
}

fn import_line(
    store: &Store,
    text: &[u8],
    options: &EventImportOptions,
    now: DateTime<Utc>,
    summary: &mut ImportSummary,
) -> Result<(), LineError> {
    let parsed: EventLine = serde_json::from_slice(text).map_err(|e| {
        // serde_json ends its message with "at line 1 column N"; the column is enough.
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        LineError::Reject(format!("invalid JSON at column {}: {message}", e.column()))
    })?;
    if parsed.event_type.trim().is_empty() {
        return Err(LineError::Reject("`type` is empty".into()));
    }
    let timestamp = parse_date(&parsed.timestamp).ok_or_else(|| {
        LineError::Reject(format!(
            "unparseable date in `timestamp`: `{}`",
            parsed.timestamp
        ))
    })?;
    let timestamp = plausible(timestamp, now)
        .map_err(|why| LineError::Reject(format!("`timestamp`: {why}")))?;
    if parsed.event_type.trim() == "consent" {
        known_category(&parsed.properties, &options.categories)?;
    }
    let record = CustomerRecord {
        email: parsed.email,
        klaviyo_id: parsed.klaviyo_id,
        cookie: parsed.cookie,
        properties: parsed.customer_properties,
        tags: Vec::new(),
    };
    let event = Event {
        event_type: parsed.event_type.trim().to_owned(),
        timestamp,
        properties: parsed.properties,
    };
    // Check the event before touching the customer, so a bad line changes nothing.
    store.check_event(&event).map_err(reject_or_fail)?;
    let outcome = store.upsert(&record).map_err(reject_or_fail)?;
    match outcome {
        UpsertOutcome::Created(_) => summary.created += 1,
        UpsertOutcome::Updated(_) => summary.updated += 1,
        UpsertOutcome::Unchanged(_) => summary.unchanged += 1,
        UpsertOutcome::Merged { .. } => summary.merged += 1,
    }
    store
        .record_event(outcome.customer(), &event)
        .map_err(reject_or_fail)?;
    summary.events += 1;
    Ok(())
}

/// A consent event's category must be one the project defines (when it defines any).
fn known_category(
    properties: &Map<String, Value>,
    known: &BTreeSet<String>,
) -> Result<(), LineError> {
    let Some(Value::String(category)) = properties.get("category") else {
        // A missing category is the store's check, with its own message.
        return Ok(());
    };
    if known.is_empty() || known.contains(category.trim()) {
        return Ok(());
    }
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    Err(LineError::Reject(format!(
        "unknown consent category `{category}`; the project defines: {}",
        known.join(", ")
    )))
}

fn reject_or_fail(error: StoreError) -> LineError {
    match error {
        StoreError::InvalidId { .. } | StoreError::NoId | StoreError::InvalidEvent(_) => {
            LineError::Reject(error.to_string())
        }
        other => LineError::Store(other),
    }
}
