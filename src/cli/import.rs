//! `warmup import customers FILE.csv` and `warmup import events FILE.jsonl`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use super::customers::open_project_store;
use super::output;
use super::InvalidInput;
use crate::import::{self, CustomerImportOptions, EventImportOptions, ImportError, ImportSummary};

/// Import customers or events into the store.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub what: ImportWhat,
}

/// What to import.
#[derive(Debug, clap::Subcommand)]
pub enum ImportWhat {
    /// Customers from a Klaviyo list or segment CSV export (columns found by header name).
    Customers {
        /// The CSV file.
        file: PathBuf,
        /// Add this tag to every imported customer's `tags` property (e.g. `engaged-90`),
        /// so a segment `{ property: tags, contains: TAG }` selects them.
        #[arg(long)]
        tag: Option<String>,
        /// Where to write rejected rows (default: FILE with `.rejects.csv`).
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// Events from JSON Lines: one `{email|klaviyo_id|cookie, type, timestamp, properties}`
    /// object a line.
    Events {
        /// The JSON Lines file.
        file: PathBuf,
        /// Where to write rejected lines (default: FILE with `.rejects.csv`).
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
}

/// Runs `warmup import …`.
pub fn run(project: Option<&Path>, args: ImportArgs) -> anyhow::Result<()> {
    let (project, store) = open_project_store(project)?;
    let summary = match args.what {
        ImportWhat::Customers { file, tag, rejects } => {
            let options = CustomerImportOptions {
                columns: project.file.import.columns.clone(),
                consent_category: project.file.import.consent_category.clone(),
                tag,
                rejects: Some(rejects.unwrap_or_else(|| default_rejects(&file))),
            };
            with_progress(&file, |progress| {
                import::import_customers(&store, &file, &options, progress)
            })?
        }
        ImportWhat::Events { file, rejects } => {
            let options = EventImportOptions {
                rejects: Some(rejects.unwrap_or_else(|| default_rejects(&file))),
                categories: project.file.consent_categories.keys().cloned().collect(),
                now: None,
            };
            with_progress(&file, |progress| {
                import::import_events(&store, &file, &options, progress)
            })?
        }
    };
    // Nothing is reported as imported before it is on disk.
    store.flush()?;
    output::err!("{}", summary.rejects_report());
    output::out!("{summary}");
    if summary.rejected > 0 {
        return Err(RowsRejected(summary.rejected, summary.kind).into());
    }
    Ok(())
}

/// An import that finished but rejected rows (listed on stderr and in the rejects file):
/// the binary exits with [`RowsRejected::EXIT_CODE`], so scripts notice.
#[derive(Debug, thiserror::Error)]
#[error("{0} {unit} rejected; everything else was imported", unit = if *.1 == "events" { "lines" } else { "rows" })]
pub struct RowsRejected(pub u64, pub &'static str);

impl RowsRejected {
    /// The exit code of an import with rejected rows.
    pub const EXIT_CODE: u8 = 4;
}

/// `DIR/NAME.rejects.csv` for `DIR/NAME.EXT`.
fn default_rejects(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    file.with_file_name(format!("{stem}.rejects.csv"))
}

/// Runs an import with a byte-based progress bar on a terminal (hidden otherwise).
fn with_progress(
    file: &Path,
    work: impl FnOnce(&mut dyn FnMut(u64)) -> Result<ImportSummary, ImportError>,
) -> anyhow::Result<ImportSummary> {
    let bar = if std::io::stderr().is_terminal() {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let bar = ProgressBar::new(size);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let result = work(&mut |bytes| bar.set_position(bytes));
    bar.finish_and_clear();
    result.map_err(|error| match error {
        ImportError::Read { .. } | ImportError::Header { .. } => {
            InvalidInput::new(error.to_string()).into()
        }
        other => anyhow::Error::new(other),
    })
}
