//! The README's table of diagnostic codes lists every code with its meaning.

use warmup::scenario::Code;

#[test]
fn the_readme_lists_every_diagnostic_code() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme.find("### Diagnostic codes").expect("codes section");
    let section = &readme[start..];
    for code in Code::ALL {
        let row = format!("| {} | {} |", code.as_str(), code.summary());
        assert!(section.contains(&row), "README lacks the row `{row}`");
    }
    let rows = section.lines().filter(|l| l.starts_with("| W")).count();
    assert_eq!(rows, Code::ALL.len());
}
