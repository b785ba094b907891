//! `warmup import customers`: a Klaviyo list/segment CSV export into the store.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{Number, Value};

use super::columns::{Column, Columns};
use super::csv_records::{CsvItem, CsvRecords};
use super::dates::{format_date, parse_date, plausible};
use super::rejects::Rejects;
use super::{ImportError, ImportSummary, Progress};
use crate::store::{
    ConsentAction, CustomerId, CustomerRecord, Event, Store, StoreError, UpsertOutcome,
};

/// Report progress every this many rows.
const PROGRESS_EVERY: u64 = 4096;

/// Settings of a customer import.
#[derive(Debug, Clone, Default)]
pub struct CustomerImportOptions {
    /// CSV header → property name (project file `import.columns`).
    pub columns: BTreeMap<String, String>,
    /// Consent category fed by `Email Marketing Consent` (project file
    /// `import.consent_category`): SUBSCRIBED records an accept, UNSUBSCRIBED a reject.
    pub consent_category: Option<String>,
    /// Added to every imported customer's `tags` list property.
    pub tag: Option<String>,
    /// Where rejected rows go; none written when `None`.
    pub rejects: Option<PathBuf>,
}

/// Imports a CSV file. See [`import_customers_from`].
pub fn import_customers(
    store: &Store,
    path: &Path,
    options: &CustomerImportOptions,
    progress: Progress<'_>,
) -> Result<ImportSummary, ImportError> {
    let file = std::fs::File::open(path).map_err(|e| ImportError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    import_customers_from(store, file, path, options, progress)
}

/// Imports CSV from a reader; `source` names it in messages. Rows are upserted one by one
/// (re-importing updates, never duplicates); bad rows become rejects.
pub fn import_customers_from<R: Read>(
    store: &Store,
    input: R,
    source: &Path,
    options: &CustomerImportOptions,
    progress: Progress<'_>,
) -> Result<ImportSummary, ImportError> {
    let read_error = |e: std::io::Error| ImportError::Read {
        path: source.to_path_buf(),
        message: e.to_string(),
    };
    // Dates later than a day past this are refused (see `plausible`).
    let now = Utc::now();
    let mut reader = CsvRecords::new(input);
    let (header_line, header_text) = header(&mut reader, source)?;
    let columns = Columns::from_headers(header_text.iter().map(String::as_str), &options.columns)
        .map_err(|message| ImportError::Header {
        path: source.to_path_buf(),
        line: header_line,
        message,
    })?;
    let mut rejects = Rejects::new(options.rejects.clone(), header_text);
    let mut summary = ImportSummary {
        source: source.to_path_buf(),
        kind: "customers",
        ..ImportSummary::default()
    };
    while let Some(item) = reader.next_item().map_err(read_error)? {
        let (line, record) = match item {
            CsvItem::Record { line, fields } => (line, fields),
            CsvItem::Broken { line, reason, raw } => {
                summary.rows += 1;
                rejects.add(line, reason, &[&raw])?;
                continue;
            }
        };
        if record.iter().all(|field| field.is_empty()) {
            continue;
        }
        summary.rows += 1;
        match import_row(store, &columns, &record, options, now, &mut summary) {
            Ok(()) => {}
            Err(RowError::Reject(reason)) => {
                let fields: Vec<&[u8]> = record.iter().collect();
                rejects.add(line, reason, &fields)?;
            }
            Err(RowError::Store(error)) => return Err(error.into()),
        }
        if summary.rows.is_multiple_of(PROGRESS_EVERY) {
            progress(reader.bytes_read());
        }
    }
    progress(reader.bytes_read());
    let (rejected, listed, file) = rejects.finish()?;
    summary.rejected = rejected;
    summary.listed_rejects = listed;
    summary.rejects_file = file;
    Ok(summary)
}

/// The header, the first line that is not blank, as text, and its line.
fn header<R: Read>(
    reader: &mut CsvRecords<R>,
    source: &Path,
) -> Result<(u64, Vec<String>), ImportError> {
    loop {
        let item = reader.next_item().map_err(|e| ImportError::Read {
            path: source.to_path_buf(),
            message: e.to_string(),
        })?;
        match item {
            None => return Ok((1, Vec::new())),
            Some(CsvItem::Record { fields, .. }) if fields.iter().all(<[u8]>::is_empty) => {}
            Some(CsvItem::Record { line, fields }) => {
                let text = fields
                    .iter()
                    .map(|h| String::from_utf8_lossy(h).into_owned())
                    .collect();
                return Ok((line, text));
            }
            Some(CsvItem::Broken { line, reason, .. }) => {
                return Err(ImportError::Header {
                    path: source.to_path_buf(),
                    line,
                    message: reason,
                })
            }
        }
    }
}

/// Why one row was not imported.
enum RowError {
    /// The row is bad: reported and written to the rejects file.
    Reject(String),
    /// The store failed: the import stops.
    Store(StoreError),
}

/// A row, parsed.
struct Row {
    record: CustomerRecord,
    consent: Option<ConsentAction>,
    consent_at: Option<DateTime<Utc>>,
}

fn import_row(
    store: &Store,
    columns: &Columns,
    fields: &csv::ByteRecord,
    options: &CustomerImportOptions,
    now: DateTime<Utc>,
    summary: &mut ImportSummary,
) -> Result<(), RowError> {
    let row = parse_row(columns, fields, options, now)?;
    let outcome = store.upsert(&row.record).map_err(|error| match error {
        StoreError::InvalidId { .. } | StoreError::NoId => RowError::Reject(error.to_string()),
        other => RowError::Store(other),
    })?;
    match &outcome {
        UpsertOutcome::Created(_) => summary.created += 1,
        UpsertOutcome::Updated(_) => summary.updated += 1,
        UpsertOutcome::Unchanged(_) => summary.unchanged += 1,
        UpsertOutcome::Merged { .. } => summary.merged += 1,
    }
    if let (Some(category), Some(action)) = (&options.consent_category, row.consent) {
        let at = row.consent_at.unwrap_or_else(Utc::now);
        if record_consent(store, outcome.customer(), category, action, at)
            .map_err(RowError::Store)?
        {
            summary.events += 1;
        }
    }
    Ok(())
}

/// Records the consent decision of a row unless the store already has it (or a later one),
/// so that importing the same file twice records nothing the second time.
fn record_consent(
    store: &Store,
    customer: CustomerId,
    category: &str,
    action: ConsentAction,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if let Some(current) = store.consent_state(customer, category)? {
        if current.action == action || current.at >= at {
            return Ok(false);
        }
    }
    let name = match action {
        ConsentAction::Accept => "accept",
        ConsentAction::Reject => "reject",
    };
    let event = Event::new("consent", at)
        .with("action", name)
        .with("category", category)
        .with("source", "import");
    store.record_event(customer, &event)?;
    Ok(true)
}

fn parse_row(
    columns: &Columns,
    fields: &csv::ByteRecord,
    options: &CustomerImportOptions,
    now: DateTime<Utc>,
) -> Result<Row, RowError> {
    let mut row = Row {
        record: CustomerRecord {
            tags: options.tag.iter().cloned().collect(),
            ..CustomerRecord::default()
        },
        consent: None,
        consent_at: None,
    };
    let properties = &mut row.record.properties;
    for (index, (header, column)) in columns.columns.iter().enumerate() {
        let raw = fields.get(index).unwrap_or_default();
        let text = std::str::from_utf8(raw)
            .map_err(|_| RowError::Reject(format!("column `{header}` is not valid UTF-8")))?
            .trim();
        if text.is_empty() {
            if *column == Column::Email {
                return Err(RowError::Reject("no email".into()));
            }
            continue;
        }
        match column {
            Column::Email => row.record.email = Some(text.to_owned()),
            Column::KlaviyoId => row.record.klaviyo_id = Some(text.to_owned()),
            Column::Consent(name) => {
                row.consent = parse_consent(header, text)?;
                properties.insert(name.clone(), Value::String(text.to_uppercase()));
            }
            Column::ConsentTimestamp(name) => {
                let at = date(header, text, now)?;
                row.consent_at = Some(at);
                properties.insert(name.clone(), Value::String(format_date(at)));
            }
            Column::Date(name) => {
                let at = date(header, text, now)?;
                properties.insert(name.clone(), Value::String(format_date(at)));
            }
            Column::Number(name) => {
                properties.insert(name.clone(), number_or_text(text));
            }
            Column::Text(name) => {
                properties.insert(name.clone(), Value::String(text.to_owned()));
            }
        }
    }
    if row.record.email.is_none() {
        return Err(RowError::Reject("no email".into()));
    }
    Ok(row)
}

fn date(header: &str, text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, RowError> {
    let at = parse_date(text)
        .ok_or_else(|| RowError::Reject(format!("unparseable date in `{header}`: `{text}`")))?;
    plausible(at, now).map_err(|why| RowError::Reject(format!("`{header}`: {why}")))
}

fn parse_consent(header: &str, text: &str) -> Result<Option<ConsentAction>, RowError> {
    match text.to_uppercase().as_str() {
        "SUBSCRIBED" => Ok(Some(ConsentAction::Accept)),
        "UNSUBSCRIBED" => Ok(Some(ConsentAction::Reject)),
        "NEVER_SUBSCRIBED" => Ok(None),
        _ => Err(RowError::Reject(format!(
            "unknown value in `{header}`: `{text}` (expected SUBSCRIBED, UNSUBSCRIBED or NEVER_SUBSCRIBED)"
        ))),
    }
}

fn number_or_text(text: &str) -> Value {
    if let Ok(integer) = text.parse::<i64>() {
        return Value::Number(integer.into());
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or_else(|| Value::String(text.to_owned()), Value::Number)
}
