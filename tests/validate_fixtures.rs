//! One broken file per check: each pins its code and line:column in its first line
//! (`# expect: W0008 at 5:62`), and the rendered diagnostics are snapshot-tested.

use std::path::{Path, PathBuf};

use warmup::project::Project;
use warmup::scenario::project_check::check_project;
use warmup::scenario::{validate, Code, Diagnostics};

const FIXTURES: &str = "tests/fixtures/invalid";

/// What a fixture's header expects.
struct Expect {
    code: String,
    line: usize,
    column: usize,
    project: PathBuf,
}

fn expectation(file: &Path) -> Expect {
    let text = std::fs::read_to_string(file).expect("fixture readable");
    let mut expect = Expect {
        code: String::new(),
        line: 0,
        column: 0,
        project: PathBuf::from("warmup.yaml"),
    };
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        if let Some(rest) = line.strip_prefix("# expect: ") {
            let (code, at) = rest.split_once(" at ").expect("`# expect: CODE at L:C`");
            let (l, c) = at.split_once(':').expect("L:C");
            expect.code = code.to_owned();
            expect.line = l.parse().expect("line");
            expect.column = c.parse().expect("column");
        }
        if let Some(project) = line.strip_prefix("# project: ") {
            expect.project = PathBuf::from(project);
        }
    }
    assert!(
        !expect.code.is_empty(),
        "{} has an `# expect:` line",
        file.display()
    );
    expect
}

/// The fixture's diagnostics and the file whose header holds the expectation.
fn run(fixture: &Path) -> (Diagnostics, PathBuf) {
    let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
    if fixture.is_dir() {
        // Several files: the expectation is in the one that gets the diagnostic.
        let project = Project::load(Some(Path::new("warmup.yaml"))).unwrap();
        let diagnostics = validate(&project, &[fixture.to_path_buf()]).diagnostics;
        let file = diagnostics
            .iter()
            .next()
            .expect("a diagnostic")
            .path()
            .to_path_buf();
        return (diagnostics, file);
    }
    if name.ends_with(".project.yaml") {
        let project = Project::load(Some(fixture)).expect("the project fixture deserializes");
        return (check_project(&project).diagnostics, fixture.to_path_buf());
    }
    let expect = expectation(fixture);
    let project = Project::load(Some(&expect.project)).unwrap();
    (
        validate(&project, &[fixture.to_path_buf()]).diagnostics,
        fixture.to_path_buf(),
    )
}

fn fixtures() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    all.sort();
    all
}

#[test]
fn every_fixture_reports_its_code_at_its_position() {
    let mut failures = Vec::new();
    for fixture in fixtures() {
        let (diagnostics, file) = run(&fixture);
        let expect = expectation(&file);
        let first = diagnostics.iter().next();
        let got = first.map(|d| (d.code.as_str().to_owned(), d.line, d.column));
        let want = Some((expect.code.clone(), expect.line, expect.column));
        if got != want || diagnostics.iter().any(|d| d.code.as_str() != expect.code) {
            failures.push(format!(
                "{}: want {want:?}, got:\n{diagnostics}",
                fixture.display()
            ));
        }
        let name = fixture.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, diagnostics.render(false));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_code_has_a_fixture() {
    let names: Vec<String> = fixtures()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    // W0038 (unreadable file) needs a missing file: tests/validate_cli.rs covers it. The
    // preflight codes depend on the environment and on Klaviyo, not on a file:
    // tests/preflight.rs covers them.
    let elsewhere = ["W0038", "W0039", "W0040", "W0041", "W0042"];
    let file_checks = |c: &&Code| !elsewhere.contains(&c.as_str());
    for code in Code::ALL.iter().filter(file_checks) {
        assert!(
            names.iter().any(|n| n.starts_with(code.as_str())),
            "no fixture for {code} ({})",
            code.summary()
        );
    }
}
