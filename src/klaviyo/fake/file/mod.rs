//! Seed files: a fake Klaviyo account read from (and written to) JSON or YAML, chosen by the
//! file's extension. The format is [`SeedFile`]; README "A fake Klaviyo" shows an example.
//! Problems are reported with the file, line, column and field, and nothing panics.

mod build;
mod derive;
mod dump;
mod format;
pub mod refs;

use std::fmt;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub use format::Subscriptions;
pub use format::{SeedCampaign, SeedEvent, SeedFile, SeedList, SeedMetric, SeedProfile};
pub use refs::{Checked, Validated};

use super::state::FakeState;
use refs::{Catalog, Kind};

/// A seed file that cannot be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedFileError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// The field, e.g. `profiles[2].subscriptions.email.consent`.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SeedFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SeedFileError {}

impl SeedFileError {
    fn new(file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            position: None,
            field: None,
            message: message.into(),
        }
    }
}

/// JSON or YAML, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedFormat {
    /// `.json`
    Json,
    /// `.yaml` or `.yml`
    Yaml,
}

impl SeedFormat {
    /// The format a path's extension names.
    pub fn of(path: &Path) -> Result<Self, SeedFileError> {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match extension.to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "yaml" | "yml" => Ok(Self::Yaml),
            _ => Err(SeedFileError::new(
                path,
                "a seed file ends in .json, .yaml or .yml",
            )),
        }
    }
}

/// Reads `path` as `T`, with line, column and field on errors.
fn read<T: DeserializeOwned>(path: &Path, format: SeedFormat) -> Result<T, SeedFileError> {
    let file =
        File::open(path).map_err(|e| SeedFileError::new(path, format!("cannot read: {e}")))?;
    let reader = BufReader::new(file);
    let failed = |position, field: String, text: String| {
        let message = without_positions(&text);
        // serde_yaml names the enclosing record in front of some messages; the error
        // names the field itself.
        let message = match message.split_once(": ") {
            Some((head, rest)) if !head.contains(' ') && field.starts_with(head) => rest.to_owned(),
            _ => message,
        };
        let field = (!field.is_empty() && field != ".").then_some(field);
        SeedFileError {
            file: path.to_owned(),
            position,
            field,
            message,
        }
    };
    match format {
        SeedFormat::Json => {
            let mut de = serde_json::Deserializer::from_reader(reader);
            let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let field = e.path().to_string();
                let inner = e.into_inner();
                failed(
                    Some((inner.line(), inner.column())),
                    field,
                    inner.to_string(),
                )
            })?;
            de.end()
                .map_err(|e| failed(Some((e.line(), e.column())), String::new(), e.to_string()))?;
            Ok(value)
        }
        SeedFormat::Yaml => {
            let de = serde_yaml::Deserializer::from_reader(reader);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let field = e.path().to_string();
                let inner = e.into_inner();
                let position = inner.location().map(|l| (l.line(), l.column()));
                failed(position, field, inner.to_string())
            })
        }
    }
}

/// A parser's message without the " at line L column C" it adds (the error shows the
/// position in front).
fn without_positions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" at line ") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + " at line ".len()..];
        let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let line = digits(tail);
        let after_line = &tail[line..];
        match after_line.strip_prefix(" column ") {
            Some(column) if line > 0 => rest = &column[digits(column)..],
            _ => {
                out.push_str(" at line ");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

impl FakeState {
    /// The account a seed file describes.
    pub fn from_seed_file(path: &Path) -> Result<Self, SeedFileError> {
        let format = SeedFormat::of(path)?;
        let file = refs::with_checks(None, || read::<SeedFile>(path, format))?;
        let catalog = catalog(&file);
        if let Some(problem) = first_unresolved(&file, &catalog) {
            // Read again with the catalog armed: the reference fails where it is written.
            let again = refs::with_checks(Some(catalog), || read::<SeedFile>(path, format));
            return Err(again
                .err()
                .unwrap_or_else(|| SeedFileError::new(path, problem)));
        }
        build::build(file).map_err(|message| SeedFileError::new(path, message))
    }

    /// Writes the account as a seed file (format by extension) that loads back the same.
    pub fn write_seed_file(&self, path: &Path) -> Result<(), SeedFileError> {
        let format = SeedFormat::of(path)?;
        let failed = |e: &dyn fmt::Display| SeedFileError::new(path, format!("cannot write: {e}"));
        let file = File::create(path).map_err(|e| failed(&e))?;
        let mut out = BufWriter::new(file);
        let dump = dump::StateDump(self);
        match format {
            SeedFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &dump).map_err(|e| failed(&e))?
            }
            SeedFormat::Yaml => serde_yaml::to_writer(&mut out, &dump).map_err(|e| failed(&e))?,
        }
        out.write_all(b"\n").map_err(|e| failed(&e))?;
        out.flush().map_err(|e| failed(&e))
    }
}

/// What the file's references may name.
fn catalog(file: &SeedFile) -> Catalog {
    let mut catalog = Catalog::default();
    for list in &file.lists {
        catalog.add(Kind::List, list.name.as_str());
        if let Some(id) = &list.id {
            catalog.add(Kind::List, id.as_str());
        }
    }
    for &(name, _, _) in super::seed::METRICS {
        catalog.add(Kind::Metric, name);
    }
    for metric in &file.metrics {
        catalog.add(Kind::Metric, metric.name.as_str());
    }
    for campaign in &file.campaigns {
        catalog.add(Kind::Campaign, campaign.name.as_str());
    }
    for profile in &file.profiles {
        if let Some(id) = &profile.id {
            catalog.add(Kind::Profile, id.as_str());
        }
        if let Some(email) = &profile.email {
            catalog.add(Kind::Profile, email.as_str());
        }
    }
    catalog
}

/// The first reference that names nothing, described.
fn first_unresolved(file: &SeedFile, catalog: &Catalog) -> Option<String> {
    let profiles = file.profiles.iter().flat_map(|p| {
        let channels = [&p.subscriptions.email, &p.subscriptions.sms];
        let suppressions = channels.into_iter().flat_map(|c| &c.list_suppressions);
        let lists = p.lists.iter().map(|l| (Kind::List, l.as_str()));
        lists.chain(suppressions.filter_map(|s| s.list_id.as_deref().map(|l| (Kind::List, l))))
    });
    let events = file.events.iter().flat_map(|e| {
        [
            Some((Kind::Metric, e.metric.as_str())),
            Some((Kind::Profile, e.profile.as_str())),
            e.list.as_ref().map(|l| (Kind::List, l.as_str())),
            e.campaign.as_ref().map(|c| (Kind::Campaign, c.as_str())),
        ]
        .into_iter()
        .flatten()
    });
    profiles
        .chain(events)
        .find_map(|(kind, text)| catalog.check(kind, text).err())
}
