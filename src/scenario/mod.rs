//! Scenarios: what campaign engineers write.
//!
//! - [`model`]: the file as written (serde + schemars, `deny_unknown_fields`).
//!   Every field's doc comment becomes its description in the JSON Schema.
//! - [`compiled`]: the checked scenario, a petgraph DAG with private fields.
//! - [`load_scenarios`] / [`compile_str`] / [`validate`]: from files to compiled
//!   scenarios, or every problem of every file as [`Diagnostics`], each with its
//!   file, line, column, node id and a stable [`Code`] (table in [`code`]).
//!
//! A raw [`model::ScenarioFile`] is never executed: checking compiles it into a
//! validated scenario whose node references are graph indices.
//!
//! How it works: [`yaml`] reads a file with an event parser, building the value tree
//! and a [`SpanIndex`] from YAML paths (`nodes.229.next`) to positions; [`read`]
//! deserializes it node by node; [`check`] runs every check family, reporting at
//! the exact key or value; [`compile`] assembles the DAG.

pub mod check;
pub mod code;
pub mod compile;
pub mod compiled;
pub mod diagnostic;
pub mod load;
pub mod model;
pub mod project_check;
pub mod read;
pub mod reporter;
pub mod segments;
pub mod span_index;
pub mod time;
pub mod yaml;
pub mod yaml_scalar;

pub use code::Code;
pub use compile::compile_str;
pub use compiled::Scenario;
pub use diagnostic::{Diagnostic, Diagnostics, SourceFile, Span};
pub use load::{load_scenarios, validate, Validation};
pub use reporter::Reporter;
pub use span_index::{Segment, SpanIndex, YamlPath};
pub use yaml::YamlDocument;
