//! Property tests of the loader and checker: random acyclic scenarios compile,
//! a cycle is always reported with its full path, and no input makes it panic.

use std::path::Path;

use proptest::prelude::*;
use warmup::project::Project;
use warmup::scenario::{compile_str, Code};

fn project() -> Project {
    Project::load(Some(Path::new("warmup.yaml"))).unwrap()
}

/// A random DAG: node `n0` is the trigger, every other node has a parent with a
/// smaller index (so all are reachable) and may have extra forward edges.
fn dag() -> impl Strategy<Value = Vec<Vec<usize>>> {
    (2usize..25)
        .prop_flat_map(|n| {
            let parents: Vec<_> = (1..n).map(|i| 0..i).collect();
            let extra = proptest::collection::vec((0..n, 0..n), 0..n);
            (Just(n), parents, extra)
        })
        .prop_map(|(n, parents, extra)| {
            let mut children = vec![Vec::new(); n];
            for (i, parent) in parents.into_iter().enumerate() {
                children[parent].push(i + 1);
            }
            for (a, b) in extra {
                let (from, to) = (a.min(b), a.max(b));
                if from != to && to != 0 && !children[from].contains(&to) {
                    children[from].push(to);
                }
            }
            children
        })
}

/// The node `i` with edges to `children`, in a kind that has that many ports.
fn node(i: usize, children: &[usize], variant: usize) -> String {
    let id = |c: &usize| format!("n{c}");
    if i == 0 {
        let branches: Vec<String> = children
            .iter()
            .map(|c| {
                format!(
                    "{{ percent: {}, next: {} }}",
                    share(children.len(), c, children),
                    id(c)
                )
            })
            .collect();
        return match children {
            [only] => format!("  n0: {{ kind: on_date, at: \"2026-12-01T00:00\", next: {} }}\n", id(only)),
            _ => format!("  n0: {{ kind: on_date, at: \"2026-12-01T00:00\", next: fan }}\n  fan: {{ kind: split, branches: [{}] }}\n", branches.join(", ")),
        };
    }
    match (children, variant % 3) {
        ([], 0) => format!("  n{i}: {{ kind: set_property, set: {{ flag_{i}: \"{{{{ day }}}}\" }} }}\n"),
        ([], 1) => format!("  n{i}: {{ kind: add_event, event: visited, properties: {{ node: n{i} }} }}\n"),
        ([], _) => format!("  n{i}: {{ kind: email, template: welcome }}\n"),
        ([one], 0) => format!("  n{i}: {{ kind: wait, for: {}m, next: {} }}\n", i + 1, id(one)),
        ([one], 1) => format!("  n{i}: {{ kind: webhook, url: \"https://hooks.example/{{{{ customer.id }}}}\", next: {} }}\n", id(one)),
        ([one], _) => format!("  n{i}: {{ kind: set_property, set: {{ seen: true }}, next: {} }}\n", id(one)),
        ([yes, no], 0) => format!("  n{i}: {{ kind: condition, if: {{ consent: newsletter }}, yes: {}, no: {} }}\n", id(yes), id(no)),
        ([passed, over], _) => format!("  n{i}: {{ kind: limit, cap: {}, passed: {}, over: {} }}\n", i * 10, id(passed), id(over)),
        (many, _) => {
            let branches: Vec<String> = many.iter().map(|c| format!("{{ percent: {}, next: {} }}", share(many.len(), c, many), id(c))).collect();
            format!("  n{i}: {{ kind: split, branches: [{}] }}\n", branches.join(", "))
        }
    }
}

/// Integer percentages adding up to 100: the last branch takes the remainder.
fn share(count: usize, child: &usize, all: &[usize]) -> usize {
    if all.last() == Some(child) {
        100 - (100 / count) * (count - 1)
    } else {
        100 / count
    }
}

fn scenario(children: &[Vec<usize>], variant: usize) -> String {
    let mut text = String::from("name: random\nnodes:\n");
    for (i, c) in children.iter().enumerate() {
        text.push_str(&node(i, c, variant + i));
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_acyclic_scenarios_compile(children in dag(), variant in 0usize..3) {
        let text = scenario(&children, variant);
        let compiled = compile_str(&text, Path::new("random.yaml"), &project());
        let scenario = compiled.map_err(|d| TestCaseError::fail(format!("{text}\n{d}")))?;
        let fan = usize::from(children[0].len() != 1);
        prop_assert_eq!(scenario.graph().node_count(), children.len() + fan);
        let edges: usize = children.iter().map(Vec::len).sum::<usize>() + fan;
        prop_assert_eq!(scenario.graph().edge_count(), edges);
        prop_assert_eq!(scenario.triggers().len(), 1);
    }

    #[test]
    fn a_cycle_is_reported_with_its_full_path(len in 2usize..12, back in 0usize..12) {
        let back = 1 + back % (len - 1);
        let mut text = String::from("name: loop\nnodes:\n  start: { kind: on_date, at: \"2026-12-01T00:00\", next: w1 }\n");
        for i in 1..len {
            text.push_str(&format!("  w{i}: {{ kind: wait, for: 1m, next: w{} }}\n", i + 1));
        }
        text.push_str(&format!("  w{len}: {{ kind: wait, for: 1m, next: w{back} }}\n"));
        let diagnostics = compile_str(&text, Path::new("loop.yaml"), &project()).unwrap_err();
        let cycles: Vec<_> = diagnostics.iter().filter(|d| d.code == Code::Cycle).collect();
        prop_assert_eq!(cycles.len(), 1, "{}", diagnostics);
        // Ids sort as text: the cycle starts at its smallest id.
        let mut members: Vec<String> = (back..=len).map(|i| format!("w{i}")).collect();
        let start = members.iter().min().unwrap().clone();
        let at = members.iter().position(|m| *m == start).unwrap();
        members.rotate_left(at);
        let closing: usize = members.last().unwrap()[1..].parse().unwrap();
        members.push(start);
        prop_assert_eq!(&cycles[0].message, &format!("cycle: {}", members.join(" -> ")));
        // Node `wK` is written on line 3 + K; the edge back to the start closes the cycle.
        prop_assert_eq!(cycles[0].line, 3 + closing, "points at the edge that closes the cycle");
    }

    #[test]
    fn the_loader_never_panics_on_arbitrary_text(text in "(?s).{0,300}") {
        check_no_panic(&text)?;
    }

    #[test]
    fn the_loader_never_panics_on_yaml_like_text(text in "[a-z0-9:{}\\[\\], \n\"'#&*!|>%@-]{0,300}") {
        check_no_panic(&text)?;
    }

    #[test]
    fn the_loader_never_panics_on_mutated_examples(
        file in 0usize..3,
        mutations in proptest::collection::vec((any::<proptest::sample::Index>(), 0usize..4, "[a-z0-9:{}\\[\\], \n\"'#-]{0,8}"), 1..4),
    ) {
        let files = ["scenarios/plan-driven.yaml", "scenarios/variant-2.yaml", "tests/fixtures/invalid/W0024-plan-days.yaml"];
        let mut text = std::fs::read_to_string(files[file]).unwrap();
        for (at, op, insert) in mutations {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) { i -= 1; }
            match op {
                0 => text.insert_str(i, &insert),
                1 => { let end = (i + insert.len()).min(text.len()); if text.is_char_boundary(end) { text.replace_range(i..end, ""); } }
                2 => { let line = text[i..].lines().next().unwrap_or("").to_owned(); text.insert_str(i, &format!("{line}\n")); }
                _ => text.insert_str(i, "\n  "),
            }
        }
        check_no_panic(&text)?;
    }
}

/// Compiles `text`; every diagnostic points inside the file.
fn check_no_panic(text: &str) -> Result<(), TestCaseError> {
    let lines = text.split('\n').count();
    if let Err(diagnostics) = compile_str(text, Path::new("arbitrary.yaml"), &project()) {
        prop_assert!(!diagnostics.is_empty());
        for d in &diagnostics {
            prop_assert!(d.line >= 1 && d.line <= lines.max(1), "{d}");
            prop_assert!(d.span.offset + d.span.len <= text.len(), "{d}");
            prop_assert!(text.is_char_boundary(d.span.offset), "{d}");
            prop_assert!(text.is_char_boundary(d.span.offset + d.span.len), "{d}");
            let _ = d.render(false);
        }
    }
    Ok(())
}
