//! The README's scenario language reference names every node kind and every field of
//! each kind, as the generated schema has them, so the reference cannot fall behind the model.

use serde_json::Value;

fn reference_section(readme: &str) -> &str {
    let start = readme
        .find("## Scenario language reference")
        .expect("reference section");
    let rest = &readme[start + 3..];
    let end = rest.find("\n## ").map_or(rest.len(), |i| i);
    &rest[..end]
}

fn kind_section<'a>(reference: &'a str, kind: &str) -> &'a str {
    let heading = format!("#### `{kind}`");
    let start = reference
        .find(&heading)
        .unwrap_or_else(|| panic!("README has no `{heading}` heading"));
    let rest = &reference[start + heading.len()..];
    let end = rest.find("\n#### ").map_or(rest.len(), |i| i);
    &rest[..end]
}

#[test]
fn every_node_kind_and_field_is_documented() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let reference = reference_section(&readme);
    let schema: Value =
        serde_json::from_str(&warmup::schema::scenario_schema()).expect("schema JSON");
    let kinds = schema["$defs"]["Node"]["oneOf"]
        .as_array()
        .expect("node kinds");
    assert_eq!(kinds.len(), 11);
    for kind in kinds {
        let name = kind["properties"]["kind"]["const"]
            .as_str()
            .expect("kind const");
        let section = kind_section(reference, name);
        for field in kind["properties"].as_object().expect("properties").keys() {
            if field == "kind" || field == "name" {
                continue;
            }
            assert!(
                section.contains(&format!("`{field}`")),
                "README's `{name}` section does not mention `{field}`"
            );
        }
    }
}
