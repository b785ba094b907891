//! JSON Schemas of the project and scenario files, generated from the model with
//! schemars: descriptions come from the fields' doc comments.

use std::path::Path;

use crate::project::ProjectFile;
use crate::scenario::model::ScenarioFile;

/// File name of the project file's schema.
pub const PROJECT_SCHEMA_FILE: &str = "project.schema.json";
/// File name of the scenario files' schema.
pub const SCENARIO_SCHEMA_FILE: &str = "scenario.schema.json";

/// The project file's schema, pretty-printed with a trailing newline.
pub fn project_schema() -> String {
    render(schemars::schema_for!(ProjectFile))
}

/// The scenario files' schema, pretty-printed with a trailing newline.
pub fn scenario_schema() -> String {
    render(schemars::schema_for!(ScenarioFile))
}

/// Writes both schemas into `dir`, creating it if needed.
pub fn write_schemas(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(PROJECT_SCHEMA_FILE), project_schema())?;
    std::fs::write(dir.join(SCENARIO_SCHEMA_FILE), scenario_schema())
}

fn render(schema: schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes to JSON");
    text.push('\n');
    text
}
