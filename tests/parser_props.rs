//! Property tests of the parsers not covered elsewhere: project YAML, CSV records against
//! the `csv` crate's writer (fields and editor line numbers under every line ending),
//! durations, and JSON Lines line numbers. No input panics; every error has a position
//! inside its input. Case counts are modest so CI stays fast.

use std::path::Path;

use proptest::prelude::*;
use warmup::import::{import_events_from, CsvItem, CsvRecords, EventImportOptions};
use warmup::project::Project;
use warmup::scenario::project_check::check_project_text;
use warmup::scenario::time::{parse_bounded_duration, DurationProblem, MAX_DURATION};
use warmup::store::Store;

/// Loads and checks project text; every error points inside it.
fn check_project(text: &str) -> Result<(), TestCaseError> {
    let lines = text.split('\n').count().max(1);
    match Project::from_str(text, Path::new("warmup.yaml")) {
        Err(error) => {
            let message = error.to_string();
            prop_assert!(message.starts_with("warmup.yaml:"), "{message}");
        }
        Ok(project) => {
            let context = check_project_text(&project, text);
            for d in context.diagnostics.iter() {
                prop_assert!(d.line >= 1 && d.line <= lines, "{d}");
                prop_assert!(d.span.offset + d.span.len <= text.len(), "{d}");
                let _ = d.render(false);
            }
        }
    }
    Ok(())
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z@. ]{0,6}",
        "[a-z,\"\n\r ]{0,6}",
        "\\PC{0,4}",
    ]
}

/// Records written by the `csv` crate (which quotes as RFC 4180 says), with `ending` as the
/// record terminator, and blank lines sprinkled in; each record's expected editor line.
fn written(records: &[Vec<String>], ending: &str, blanks: &[bool]) -> (String, Vec<usize>) {
    let mut text = String::new();
    let mut lines = Vec::new();
    for (i, record) in records.iter().enumerate() {
        if blanks.get(i).copied().unwrap_or(false) {
            text.push_str(ending);
        }
        let mut writer = csv::WriterBuilder::new()
            .terminator(match ending {
                "\r\n" => csv::Terminator::CRLF,
                "\r" => csv::Terminator::Any(b'\r'),
                _ => csv::Terminator::Any(b'\n'),
            })
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(Vec::new());
        writer.write_record(record).unwrap();
        let bytes = writer.into_inner().unwrap();
        lines.push(editor_line(&text));
        text.push_str(std::str::from_utf8(&bytes).unwrap());
    }
    (text, lines)
}

/// The editor's line (1-based) of the position at the end of `before`.
fn editor_line(before: &str) -> usize {
    1 + before
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .matches('\n')
        .count()
}

fn read_all(text: &[u8]) -> Vec<CsvItem> {
    let mut reader = CsvRecords::new(text);
    let mut items = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        items.push(item);
    }
    items
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn project_files_never_panic_on_yaml_like_text(text in "[a-z0-9_:{}\\[\\], \n\"'#&*!|>%@-]{0,300}") {
        check_project(&text)?;
    }

    #[test]
    fn project_files_never_panic_on_mutated_examples(
        mutations in proptest::collection::vec((any::<proptest::sample::Index>(), 0usize..3, "[a-z0-9:{}\\[\\], \n\"'#-]{0,8}"), 1..4),
    ) {
        let mut text = std::fs::read_to_string("warmup.yaml").unwrap();
        for (at, op, insert) in mutations {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) { i -= 1; }
            match op {
                0 => text.insert_str(i, &insert),
                1 => { let end = (i + insert.len()).min(text.len()); if text.is_char_boundary(end) { text.replace_range(i..end, ""); } }
                _ => text.insert_str(i, "\n  "),
            }
        }
        check_project(&text)?;
    }

    #[test]
    fn csv_records_read_back_what_the_csv_writer_wrote_on_their_editor_lines(
        records in prop::collection::vec(prop::collection::vec(field(), 1..5), 1..8),
        blanks in prop::collection::vec(any::<bool>(), 0..8),
        ending in prop::sample::select(vec!["\n", "\r\n", "\r"]),
    ) {
        // A record of one empty field is a blank line, which readers skip.
        let records: Vec<Vec<String>> = records
            .into_iter()
            .map(|r| if r.len() == 1 && r[0].is_empty() { vec!["x".into()] } else { r })
            .collect();
        let (text, lines) = written(&records, ending, &blanks);
        let items: Vec<(u64, Vec<String>)> = read_all(text.as_bytes())
            .into_iter()
            .filter_map(|item| match item {
                CsvItem::Record { line, fields } => {
                    let fields: Vec<String> = fields.iter().map(|f| String::from_utf8(f.to_vec()).unwrap()).collect();
                    (fields != [""]).then_some((line, fields))
                }
                CsvItem::Broken { reason, .. } => panic!("{reason}\n{text:?}"),
            })
            .collect();
        let expected: Vec<(u64, Vec<String>)> = lines.iter().map(|&l| l as u64).zip(records).collect();
        prop_assert_eq!(items, expected, "{:?}", text);
    }

    #[test]
    fn csv_records_never_panic_and_stay_inside_the_input(bytes in prop::collection::vec(prop::sample::select(b"a,\"\r\n x".to_vec()), 0..200)) {
        let lines = 1 + bytes.iter().enumerate().filter(|&(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') || b == b'\r').count() as u64;
        for item in read_all(&bytes) {
            let line = match item { CsvItem::Record { line, .. } | CsvItem::Broken { line, .. } => line };
            prop_assert!(line >= 1 && line <= lines, "line {line} of {lines}");
        }
    }

    #[test]
    fn durations_never_panic_and_stay_within_their_bound(text in "[0-9]{0,25}(ns|ms|s|m|h|d|w|y| )?[0-9]{0,3}[a-z]{0,2}") {
        match parse_bounded_duration(&text, MAX_DURATION) {
            Ok(duration) => prop_assert!(duration <= MAX_DURATION),
            Err(DurationProblem::Syntax(m) | DurationProblem::TooLong(m)) => prop_assert!(m.contains(text.trim())),
        }
    }

    #[test]
    fn event_rejects_name_a_line_of_the_file(lines in prop::collection::vec("\\PC{0,40}", 0..12)) {
        let store = Store::temporary().unwrap();
        let text = lines.join("\n");
        let summary = import_events_from(&store, text.as_bytes(), Path::new("e.jsonl"), &EventImportOptions::default(), &mut |_| {}).unwrap();
        for reject in &summary.listed_rejects {
            prop_assert!(reject.line >= 1 && reject.line as usize <= lines.len().max(1));
        }
    }
}
