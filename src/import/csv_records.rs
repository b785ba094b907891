//! RFC 4180 records with the line numbers an editor shows.
//!
//! A line ends at LF, CRLF or a lone CR (old spreadsheet exports), so a record's line is
//! the editor's line of its first character whatever the file's line endings. A quote
//! opens a field only at the field's start (`O"Brien` is text); inside, `""` is a quote
//! and a quoted field may span lines. A quoted field that does not close cleanly — end
//! of file, a closing quote followed by anything but a comma or a line end, or still
//! open after [`MAX_RECORD`] bytes — makes its row [`CsvItem::Broken`], naming the line
//! and column where the quote opened, and reading resumes on the next line, so a stray
//! quote never swallows the rows after it.

use std::io::{self, Read};

/// The longest record, in bytes; a quoted field still open at this size is broken.
pub const MAX_RECORD: usize = 1 << 20;

/// One record, or a row that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvItem {
    /// A record and the line of its first character (1-based).
    Record {
        /// Line of the record's first character.
        line: u64,
        /// The fields.
        fields: csv::ByteRecord,
    },
    /// A row whose quoting is broken; `raw` is its first line as written.
    Broken {
        /// Line of the row's first character.
        line: u64,
        /// Why, naming where the quote opened.
        reason: String,
        /// The row's first line.
        raw: Vec<u8>,
    },
}

/// Reads records from `R`.
pub struct CsvRecords<R> {
    input: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    /// Line (1-based) and character column (0-based) of the next byte.
    line: u64,
    column: u64,
    /// Bytes taken from `input` (progress).
    consumed: u64,
}

/// Where a quoted field opened: line, column, offset in the record's raw bytes.
#[derive(Clone, Copy)]
struct Open {
    line: u64,
    column: u64,
    offset: usize,
}

/// Parsing state inside a record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

impl<R: Read> CsvRecords<R> {
    /// Records of `input`.
    pub fn new(input: R) -> Self {
        Self {
            input,
            buf: Vec::with_capacity(1 << 16),
            pos: 0,
            eof: false,
            line: 1,
            column: 0,
            consumed: 0,
        }
    }

    /// Bytes read from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.consumed
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        if self.pos == self.buf.len() && !self.eof {
            self.buf.clear();
            self.pos = 0;
            self.buf.resize(1 << 16, 0);
            let n = loop {
                match self.input.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.buf.truncate(n);
            if self.consumed == 0 && self.buf.starts_with(b"\xEF\xBB\xBF") {
                // A UTF-8 byte-order mark (spreadsheet exports) is not part of the header.
                self.pos = 3;
            }
            self.consumed += n as u64;
            self.eof = n == 0;
        }
        Ok(self.buf.get(self.pos).copied())
    }

    /// The next byte; a line break (LF, CR or CRLF) comes back as one `\n`.
    fn next_byte(&mut self, raw: &mut Vec<u8>) -> io::Result<Option<u8>> {
        let Some(byte) = self.peek()? else {
            return Ok(None);
        };
        self.pos += 1;
        raw.push(byte);
        if byte == b'\r' || byte == b'\n' {
            if byte == b'\r' && self.peek()? == Some(b'\n') {
                self.pos += 1;
                raw.push(b'\n');
            }
            self.line += 1;
            self.column = 0;
            return Ok(Some(b'\n'));
        }
        if byte & 0xC0 != 0x80 {
            self.column += 1;
        }
        Ok(Some(byte))
    }

    /// The next record; `None` at the end of the input.
    pub fn next_item(&mut self) -> io::Result<Option<CsvItem>> {
        let line = self.line;
        let mut raw = Vec::new();
        let mut fields = csv::ByteRecord::new();
        let mut field = Vec::new();
        let mut state = State::FieldStart;
        let mut open: Option<Open> = None;
        loop {
            let (at_line, at_column) = (self.line, self.column);
            let byte = self.next_byte(&mut raw)?;
            match (state, byte) {
                (State::Quoted, None) => {
                    return self.broken(line, open, raw, "the file ends inside it");
                }
                (State::Quoted, Some(b'"')) => state = State::QuoteInQuoted,
                (State::Quoted, Some(b'\n')) => {
                    // The line break as written (CRLF stays CRLF inside a field).
                    let written: &[u8] = if raw.ends_with(b"\r\n") {
                        b"\r\n"
                    } else {
                        &raw[raw.len() - 1..]
                    };
                    field.extend_from_slice(written);
                }
                (State::Quoted, Some(b)) => {
                    field.push(b);
                    if raw.len() > MAX_RECORD {
                        let why = format!("it is still open after {} MiB", MAX_RECORD >> 20);
                        return self.broken(line, open, raw, &why);
                    }
                }
                (State::QuoteInQuoted, Some(b'"')) => {
                    field.push(b'"');
                    state = State::Quoted;
                }
                (State::QuoteInQuoted, Some(b)) if b != b',' && b != b'\n' => {
                    let why = format!(
                        "its closing quote at line {at_line}, column {at_column} is followed by `{}`",
                        String::from_utf8_lossy(&[b])
                    );
                    return self.broken(line, open, raw, &why);
                }
                (State::FieldStart, Some(b'"')) => {
                    open = Some(Open {
                        line: at_line,
                        column: at_column + 1,
                        offset: raw.len() - 1,
                    });
                    state = State::Quoted;
                }
                (State::FieldStart, None) if raw.is_empty() && fields.is_empty() => {
                    return Ok(None);
                }
                (_, Some(b',')) => {
                    fields.push_field(&field);
                    field.clear();
                    state = State::FieldStart;
                }
                (_, None | Some(b'\n')) => {
                    fields.push_field(&field);
                    return Ok(Some(CsvItem::Record { line, fields }));
                }
                (_, Some(b)) => {
                    field.push(b);
                    state = State::Unquoted;
                    if raw.len() > MAX_RECORD {
                        return self.broken(line, open, raw, "the row is longer than 1 MiB");
                    }
                }
            }
        }
    }

    /// A broken row: reading resumes on the line after the one where the quote opened.
    fn broken(
        &mut self,
        line: u64,
        open: Option<Open>,
        raw: Vec<u8>,
        why: &str,
    ) -> io::Result<Option<CsvItem>> {
        let open = open.unwrap_or(Open {
            line,
            column: 1,
            offset: 0,
        });
        let end = line_end(&raw, open.offset);
        let first_line_end = line_end(&raw, 0);
        let reason = if why.starts_with("the row") {
            format!("unreadable CSV: {why}")
        } else {
            format!(
                "unreadable CSV: the quoted field opened at line {}, column {} does not close: {why}",
                open.line, open.column
            )
        };
        let first = trim_break(&raw[..first_line_end]).to_vec();
        let line_ended = raw[open.offset..end]
            .last()
            .is_some_and(|&b| b == b'\n' || b == b'\r');
        if line_ended {
            // Give back what was read past the quote's line, to read it again as rows.
            let mut buf = raw[end..].to_vec();
            buf.extend_from_slice(&self.buf[self.pos..]);
            self.buf = buf;
            self.pos = 0;
            self.line = open.line + 1;
            self.column = 0;
        } else {
            self.skip_line()?;
        }
        Ok(Some(CsvItem::Broken {
            line,
            reason,
            raw: first,
        }))
    }
}

impl<R: Read> CsvRecords<R> {
    /// Skips the rest of the current line (a row too long to keep).
    fn skip_line(&mut self) -> io::Result<()> {
        let mut scratch = Vec::new();
        loop {
            scratch.clear();
            match self.next_byte(&mut scratch)? {
                None | Some(b'\n') => return Ok(()),
                Some(_) => {}
            }
        }
    }
}

/// The offset just past the first line break at or after `from` (or the end).
fn line_end(raw: &[u8], from: usize) -> usize {
    match raw[from..].iter().position(|&b| b == b'\n' || b == b'\r') {
        None => raw.len(),
        Some(i) => {
            let at = from + i;
            if raw[at] == b'\r' && raw.get(at + 1) == Some(&b'\n') {
                at + 2
            } else {
                at + 1
            }
        }
    }
}

fn trim_break(line: &[u8]) -> &[u8] {
    let mut line = line;
    while let [rest @ .., b'\n' | b'\r'] = line {
        line = rest;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<(u64, Result<Vec<String>, String>)> {
        let mut reader = CsvRecords::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(item) = reader.next_item().unwrap() {
            out.push(match item {
                CsvItem::Record { line, fields } => (
                    line,
                    Ok(fields
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect()),
                ),
                CsvItem::Broken { line, reason, .. } => (line, Err(reason)),
            });
        }
        out
    }

    fn lines(text: &str) -> Vec<u64> {
        items(text)
            .into_iter()
            .filter(|(_, r)| r.as_ref().map_or(true, |f| f.iter().any(|c| !c.is_empty())))
            .map(|(l, _)| l)
            .collect()
    }

    #[test]
    fn lines_are_the_editors_whatever_the_endings() {
        let rows = ["h", "a", "", "b", "\"c\nd\"", "e"];
        for ending in ["\n", "\r\n", "\r"] {
            let rows: Vec<String> = rows.iter().map(|r| r.replace('\n', ending)).collect();
            let text = rows.join(ending) + ending;
            assert_eq!(lines(&text), [1, 2, 4, 5, 7], "{ending:?}");
        }
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_field() {
        let got = items("\u{feff}\"Email\",Name\na@b.co,x\n");
        assert_eq!(got[0], (1, Ok(vec!["Email".into(), "Name".into()])));
    }

    #[test]
    fn quotes_escape_and_span_lines() {
        let got = items("a,\"b,\"\"c\"\"\",O\"Brien\r\n\"x\r\ny\",z");
        assert_eq!(
            got[0],
            (1, Ok(vec!["a".into(), "b,\"c\"".into(), "O\"Brien".into()]))
        );
        assert_eq!(got[1], (2, Ok(vec!["x\r\ny".into(), "z".into()])));
    }

    #[test]
    fn an_unterminated_quote_is_one_broken_row_and_the_rest_is_read() {
        let got = items("h\nok1\n\"open, never closed\nok2\nok3\n");
        assert_eq!(got[1], (2, Ok(vec!["ok1".into()])));
        let (line, reason) = (&got[2].0, got[2].1.as_ref().unwrap_err());
        assert_eq!(*line, 3);
        assert!(reason.contains("opened at line 3, column 1"), "{reason}");
        assert_eq!(got[3], (4, Ok(vec!["ok2".into()])));
        assert_eq!(got[4], (5, Ok(vec!["ok3".into()])));
        assert_eq!(got.len(), 5);
    }

    #[test]
    fn a_stray_quote_closed_by_another_does_not_swallow_rows() {
        let got = items("a,\"b\nc\nd\"e\nf\n");
        assert!(got[0].1.as_ref().unwrap_err().contains("followed by `e`"));
        let rest: Vec<_> = got[1..].iter().map(|(l, _)| *l).collect();
        assert_eq!(rest, [2, 3, 4]);
        assert_eq!(got[2].1, Ok(vec!["d\"e".into()]));
    }
}
