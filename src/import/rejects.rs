//! Rejected input: the file of rejected rows and the first few reasons for the report.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::ImportError;

/// How many rejects the summary lists; the rejects file has all of them.
pub const LISTED_REJECTS: usize = 20;

/// One rejected row or line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// Line number in the input file (1-based; the CSV header is line 1).
    pub line: u64,
    /// Why it was rejected.
    pub reason: String,
}

/// Collects rejects: counts them, keeps the first [`LISTED_REJECTS`], and writes every one
/// to a CSV file (`line`, `reason`, then the original fields) created on the first reject.
pub struct Rejects {
    path: Option<PathBuf>,
    header: Vec<String>,
    writer: Option<csv::Writer<BufWriter<File>>>,
    /// Total number of rejects.
    pub count: u64,
    /// The first rejects, in input order.
    pub listed: Vec<Reject>,
}

impl Rejects {
    /// Rejects written to `path` (none written when `None`); `header` names the original
    /// fields after `line` and `reason`.
    pub fn new(path: Option<PathBuf>, header: Vec<String>) -> Self {
        Self {
            path,
            header,
            writer: None,
            count: 0,
            listed: Vec::new(),
        }
    }

    /// Records a reject with the original fields of the row.
    pub fn add(&mut self, line: u64, reason: String, fields: &[&[u8]]) -> Result<(), ImportError> {
        self.count += 1;
        if let Some(path) = &self.path {
            if self.writer.is_none() {
                self.writer = Some(open(path, &self.header)?);
            }
            if let Some(writer) = &mut self.writer {
                let line = line.to_string();
                let mut record: Vec<&[u8]> = vec![line.as_bytes(), reason.as_bytes()];
                record.extend_from_slice(fields);
                writer
                    .write_record(&record)
                    .map_err(|e| write_error(path, e))?;
            }
        }
        if self.listed.len() < LISTED_REJECTS {
            self.listed.push(Reject { line, reason });
        }
        Ok(())
    }

    /// Flushes the rejects file; returns its path when one was written.
    pub fn finish(mut self) -> Result<(u64, Vec<Reject>, Option<PathBuf>), ImportError> {
        let written = match (self.writer.take(), self.path) {
            (Some(mut writer), Some(path)) => {
                writer
                    .flush()
                    .map_err(|e| write_error(&path, csv::Error::from(e)))?;
                Some(path)
            }
            _ => None,
        };
        Ok((self.count, self.listed, written))
    }
}

fn open(path: &Path, header: &[String]) -> Result<csv::Writer<BufWriter<File>>, ImportError> {
    let file = File::create(path).map_err(|e| write_error(path, csv::Error::from(e)))?;
    // Rejected rows keep their own length: short and long rows are part of what is wrong.
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(BufWriter::new(file));
    let mut record = vec!["line", "reason"];
    record.extend(header.iter().map(String::as_str));
    writer
        .write_record(&record)
        .map_err(|e| write_error(path, e))?;
    Ok(writer)
}

fn write_error(path: &Path, error: csv::Error) -> ImportError {
    ImportError::Rejects {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}
