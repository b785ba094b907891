//! The README's "From the guide to warmup" table agrees with the example scenarios: one row
//! per guide node, every node id it names exists in that example (a range `N-dA` … `N-dB`
//! means every day between), a "—" cell means the example has no such node, and every node
//! of the examples numbered after the guide is in the table, in its example's column.

use std::collections::{BTreeMap, BTreeSet};

const GUIDE_NODES: [&str; 11] = [
    "229", "7", "19", "40", "299", "225", "256", "296", "297", "331", "558",
];
const EXAMPLES: [&str; 3] = ["variant-1.yaml", "variant-2.yaml", "plan-driven.yaml"];

fn node_ids(example: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(format!("scenarios/{example}")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    yaml["nodes"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

/// The guide number a node id carries (`"40-d3"` → 40, `"296"` → 296), if any.
fn guide_number(id: &str) -> Option<&str> {
    let number = id.split_once("-d").map_or(id, |(n, _)| n);
    number.chars().all(|c| c.is_ascii_digit()).then_some(number)
}

/// The table rows: guide node → the cells of the three examples.
fn table() -> BTreeMap<String, Vec<String>> {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme
        .find("## From the guide to warmup")
        .expect("the README has the guide table");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| #")) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_owned())
            .collect();
        assert_eq!(cells.len(), 5, "{line}");
        let node = cells[0].trim_start_matches('#').to_owned();
        assert!(rows.insert(node, cells[2..].to_vec()).is_none(), "{line}");
    }
    rows
}

/// Node ids a cell names: backticked ids, ranges `N-dA` … `N-dB` expanded.
fn named(cell: &str) -> BTreeSet<String> {
    let ticked: Vec<&str> = cell.split('`').skip(1).step_by(2).collect();
    let mut ids: BTreeSet<String> = ticked.iter().map(|t| t.to_string()).collect();
    for pair in ticked.windows(2) {
        let range = format!("`{}` … `{}`", pair[0], pair[1]);
        if !cell.contains(&range) {
            continue;
        }
        let (Some((n, a)), Some((m, b))) = (pair[0].split_once("-d"), pair[1].split_once("-d"))
        else {
            panic!("range {range} is not of day ids");
        };
        assert_eq!(n, m, "{range}");
        for day in a.parse::<u32>().unwrap()..=b.parse::<u32>().unwrap() {
            ids.insert(format!("{n}-d{day}"));
        }
    }
    ids
}

#[test]
fn the_guide_table_names_every_numbered_node_of_the_examples() {
    let table = table();
    let expected: BTreeSet<String> = GUIDE_NODES.iter().map(|n| n.to_string()).collect();
    assert_eq!(
        table.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "one row per guide node"
    );
    for (column, example) in EXAMPLES.iter().enumerate() {
        let ids = node_ids(example);
        let text = std::fs::read_to_string(format!("scenarios/{example}")).unwrap();
        let mut covered = BTreeSet::new();
        for (node, cells) in &table {
            let cell = &cells[column];
            let names = named(cell);
            for id in &names {
                assert!(
                    ids.contains(id),
                    "{example}: #{node} names `{id}`, no such node"
                );
            }
            let numbered: BTreeSet<&String> = names
                .iter()
                .filter(|id| guide_number(id) == Some(node))
                .collect();
            if cell.starts_with('—') {
                // No node of that number; a replacement says where the effect lives.
                assert!(
                    !ids.iter().any(|id| guide_number(id) == Some(node)),
                    "{example}: #{node} is marked absent but exists"
                );
                if !names.is_empty() || cell.contains(&format!("#{node}")) {
                    assert!(
                        text.contains(&format!("#{node}")),
                        "{example}: the replacement of #{node} is not commented"
                    );
                }
            } else {
                assert!(!numbered.is_empty(), "{example}: #{node}: `{cell}`");
            }
            covered.extend(numbered.into_iter().cloned());
        }
        for id in ids.iter().filter(|id| guide_number(id).is_some()) {
            assert!(
                covered.contains(id),
                "{example}: node `{id}` is not in the README's guide table"
            );
        }
        // Each file quotes the guide at its numbered nodes.
        for node in ids.iter().filter_map(|id| guide_number(id)) {
            assert!(
                text.contains(&format!("#{node}")),
                "{example}: no comment names #{node}"
            );
        }
    }
}
