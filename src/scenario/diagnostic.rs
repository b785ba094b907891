//! Diagnostics: problems found in scenario and project files, each with its file,
//! line, column, node id and stable [`Code`], rendered as rustc/miette-style snippets.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceSpan, SpanContents,
};

use super::Code;

/// Lines longer than this (in characters) are not shown as snippets.
const MAX_SNIPPET_COLUMNS: usize = 1_000;

/// A file's text, shared by all diagnostics that point into it.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given (shown in diagnostics).
    pub path: PathBuf,
    /// The whole text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Wraps a file's text.
    pub fn new(path: &Path, text: impl Into<String>) -> Arc<Self> {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Arc::new(Self {
            path: path.to_path_buf(),
            text,
            line_starts,
        })
    }

    /// Byte offset where a 1-based line starts (the end of the text past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |prefix| prefix.chars().count());
        (line + 1, column + 1)
    }
}

/// Snippets name the file, so the header reads `[path:line:column]`.
impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // Only the lines around the span are handed to miette, which scans from the start
        // of what it gets: a file with many diagnostics renders in linear time.
        let offset = span.offset().min(self.text.len());
        let first = self
            .line_column(offset)
            .0
            .saturating_sub(context_lines_before + 1);
        let last = self.line_column(offset + span.len()).0 + context_lines_after + 1;
        let start = self.line_start(first.max(1));
        let end = self.line_start(last + 1);
        let window = &self.text[start..end.max(start)];
        let local = SourceSpan::new((offset - start).into(), span.len());
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        let at = inner.span().offset() + start;
        Ok(Box::new(MietteSpanContents::new_named(
            self.path.display().to_string(),
            inner.data(),
            SourceSpan::new(at.into(), inner.span().len()),
            inner.line() + first.max(1) - 1,
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// A byte range in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub offset: usize,
    /// Length in bytes (0 points between characters).
    pub len: usize,
}

/// One problem in one file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// What is wrong.
    pub message: String,
    /// The node it concerns, if any.
    pub node: Option<String>,
    /// Short text shown under the snippet's highlighted span.
    pub label: String,
    /// How to fix it, when we can tell.
    pub help: Option<String>,
    /// Where.
    pub span: Span,
    /// 1-based line of the span's start.
    pub line: usize,
    /// 1-based column (in characters) of the span's start.
    pub column: usize,
    source: Arc<SourceFile>,
}

impl Diagnostic {
    /// A diagnostic at `span` of `source`.
    pub fn new(source: &Arc<SourceFile>, span: Span, code: Code, message: String) -> Self {
        let (line, column) = source.line_column(span.offset);
        Self {
            code,
            message,
            node: None,
            label: code.summary().to_owned(),
            help: None,
            span,
            line,
            column,
            source: Arc::clone(source),
        }
    }

    /// Names the node it concerns.
    pub fn with_node(mut self, node: Option<&str>) -> Self {
        self.node = node.map(str::to_owned);
        self
    }

    /// Sets the label under the snippet.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The file it points into.
    pub fn path(&self) -> &Path {
        &self.source.path
    }

    /// The message with the node id in front, as the headline shows it.
    pub fn headline(&self) -> String {
        match &self.node {
            Some(node) => format!("node `{node}`: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// The snippet in rustc/miette style; colors only when `color` is set.
    pub fn render(&self, color: bool) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(100)
            .with_links(false);
        let mut out = String::new();
        let report = Report(self);
        if self.line_too_long() || handler.render_report(&mut out, &report).is_err() {
            out = format!("{self}\n");
            if let Some(help) = &self.help {
                out.push_str(&format!("  help: {help}\n"));
            }
        }
        out
    }

    /// Whether the span's lines are too long for a snippet: they would not be read, and
    /// the renderer cannot pad past column 65,535. The one-line form is shown instead.
    fn line_too_long(&self) -> bool {
        let end = self.source.line_column(self.span.offset + self.span.len).0;
        let start = self.source.line_start(self.line);
        let stop = self.source.line_start(end + 1);
        let text = self.source.text.get(start..stop).unwrap_or_default();
        text.lines()
            .any(|line| line.chars().count() > MAX_SNIPPET_COLUMNS)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {} {}",
            self.source.path.display(),
            self.line,
            self.column,
            self.code,
            self.headline()
        )
    }
}

/// The miette view of a diagnostic.
struct Report<'a>(&'a Diagnostic);

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.headline())
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.0.code.as_str()))
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.0
            .help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&*self.0.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = SourceSpan::new(self.0.span.offset.into(), self.0.span.len);
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.0.label.clone()), span),
        )))
    }
}

/// Every problem found, in file order; an error when not empty.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// No problems.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// The last one added.
    pub fn last_mut(&mut self) -> Option<&mut Diagnostic> {
        self.items.last_mut()
    }

    /// Adds all of another collection.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The diagnostics.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// Sorts by file, then position, then code; drops exact repeats.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (a.path(), a.span.offset, a.code, &a.message).cmp(&(
                b.path(),
                b.span.offset,
                b.code,
                &b.message,
            ))
        });
        self.items.dedup_by(|a, b| {
            a.path() == b.path() && a.span == b.span && a.code == b.code && a.message == b.message
        });
    }

    /// `Ok(value)` when empty, else `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// All snippets, one after another.
    pub fn render(&self, color: bool) -> String {
        self.items.iter().map(|d| d.render(color)).collect()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
