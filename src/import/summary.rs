//! What an import did, for the terminal and for tests.

use std::fmt;
use std::path::PathBuf;

use super::rejects::Reject;

/// The outcome of `warmup import customers` or `warmup import events`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// The input file.
    pub source: PathBuf,
    /// `customers` or `events`.
    pub kind: &'static str,
    /// Data rows or lines read (blank lines and the CSV header not counted).
    pub rows: u64,
    /// Customers created.
    pub created: u64,
    /// Customers that changed.
    pub updated: u64,
    /// Customers that already had everything the row carried.
    pub unchanged: u64,
    /// Rows whose identifiers joined customers that were then merged.
    pub merged: u64,
    /// Events recorded (consent events from the consent column, or event lines).
    pub events: u64,
    /// Rows or lines rejected.
    pub rejected: u64,
    /// The first rejects, in input order.
    pub listed_rejects: Vec<Reject>,
    /// The rejects file, when rows were rejected and a file was requested.
    pub rejects_file: Option<PathBuf>,
}

impl ImportSummary {
    /// The rejects as `FILE:LINE: reason` lines (the first ones), plus a line for the rest.
    pub fn rejects_report(&self) -> String {
        let mut report = String::new();
        for reject in &self.listed_rejects {
            report.push_str(&format!(
                "{}:{}: {}\n",
                self.source.display(),
                reject.line,
                reject.reason
            ));
        }
        let more = self
            .rejected
            .saturating_sub(self.listed_rejects.len() as u64);
        if more > 0 {
            report.push_str(&format!("… and {more} more rejected\n"));
        }
        report
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "imported {} from {}: {} {}",
            self.kind,
            self.source.display(),
            self.rows,
            if self.kind == "events" {
                "lines"
            } else {
                "rows"
            }
        )?;
        let lines = [
            ("created", self.created),
            ("updated", self.updated),
            ("unchanged", self.unchanged),
            ("merged", self.merged),
            ("events", self.events),
            ("rejected", self.rejected),
        ];
        for (label, count) in lines {
            write!(f, "  {label:<10} {count:>9}")?;
            if label == "rejected" {
                if let Some(file) = &self.rejects_file {
                    write!(f, " (written to {})", file.display())?;
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
