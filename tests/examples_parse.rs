//! Every example file deserializes into the model as written.

use warmup::project::Project;
use warmup::scenario::model::ScenarioFile;

#[test]
fn the_example_project_file_loads() {
    let project =
        Project::load(Some(std::path::Path::new("warmup.yaml"))).expect("warmup.yaml loads");
    assert_eq!(project.file.timezone, "Europe/Prague");
    assert!(project.file.auth.contains_key("klaviyo"));
    assert!(project.file.segments.contains_key("active"));
}

#[test]
fn every_example_scenario_deserializes() {
    let mut seen = 0;
    for entry in std::fs::read_dir("scenarios").expect("scenarios folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let file: ScenarioFile =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            file.nodes.contains_key("296"),
            "{} has the consent-reject flow",
            path.display()
        );
        assert!(
            file.nodes.contains_key("297"),
            "{} has the unsubscribe webhook",
            path.display()
        );
        seen += 1;
    }
    assert_eq!(seen, 3);
}
