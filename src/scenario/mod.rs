//! Scenarios: what campaign engineers write.
//!
//! - [`model`]: the file as written (serde + schemars, `deny_unknown_fields`).
//!   Every field's doc comment becomes its description in the JSON Schema.
//!
//! A raw [`model::ScenarioFile`] is never executed: checking compiles it into a
//! validated scenario whose node references are graph indices.

pub mod compiled;
pub mod model;
