//! The committed JSON Schemas are what the code generates, and they accept every
//! example file while rejecting a misspelled field and a wrong node kind.

use serde_json::Value;

fn yaml_file(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    serde_json::to_value(yaml).unwrap()
}

fn validator(file: &str) -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("schema/{file}")).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

#[test]
fn the_committed_schemas_are_fresh() {
    for (file, generated) in [
        (
            "schema/project.schema.json",
            warmup::schema::project_schema(),
        ),
        (
            "schema/scenario.schema.json",
            warmup::schema::scenario_schema(),
        ),
    ] {
        let committed = std::fs::read_to_string(file).unwrap();
        assert!(
            committed == generated,
            "{file} is stale: run `cargo run -- schema` and commit the result"
        );
    }
}

#[test]
fn the_schemas_accept_every_example() {
    let project = validator("project.schema.json");
    assert_eq!(
        errors(&project, &yaml_file("warmup.yaml")),
        Vec::<String>::new()
    );
    let scenario = validator("scenario.schema.json");
    let mut seen = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path().display().to_string();
        assert_eq!(
            errors(&scenario, &yaml_file(&path)),
            Vec::<String>::new(),
            "{path}"
        );
        seen += 1;
    }
    assert_eq!(seen, 3);
}

#[test]
fn the_scenario_schema_rejects_a_misspelled_field_and_a_wrong_kind() {
    let scenario = validator("scenario.schema.json");
    let mut file = yaml_file("scenarios/plan-driven.yaml");
    let wait = file["nodes"]["256"].as_object_mut().unwrap();
    let until = wait.remove("until").unwrap();
    wait.insert("untill".into(), until);
    assert!(!scenario.is_valid(&file), "misspelled `untill` is rejected");

    let mut file = yaml_file("scenarios/plan-driven.yaml");
    file["nodes"]["mail"]["kind"] = Value::from("e-mail");
    assert!(!scenario.is_valid(&file), "kind `e-mail` is rejected");

    let mut file = yaml_file("scenarios/plan-driven.yaml");
    file["nodes"]["cap"]["priority"][1] = serde_json::json!({ "recnt": "last_open" });
    assert!(
        !scenario.is_valid(&file),
        "misspelled priority rule is rejected"
    );
}

#[test]
fn the_project_schema_rejects_a_misspelled_field() {
    let project = validator("project.schema.json");
    let mut file = yaml_file("warmup.yaml");
    let tz = file.as_object_mut().unwrap().remove("timezone").unwrap();
    file["time_zone"] = tz;
    let found = errors(&project, &file);
    assert!(!found.is_empty());
}
