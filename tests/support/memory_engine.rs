//! An engine over the example project's settings, with in-memory state and captured actions:
//! the setup of the operator, time and membership tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use warmup::engine::{CapturingActions, CustomerAccess, Engine, EngineParts, EngineState};
use warmup::project::Project;
use warmup::scenario::compile_str;

/// The repository's example project file.
pub fn project() -> Project {
    Project::load(Some(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("warmup.yaml"),
    ))
    .unwrap()
}

/// An RFC 3339 instant.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// An engine running the scenario `yaml` on `access` with `state`; its captured actions.
pub fn engine_with(
    yaml: &str,
    access: Arc<dyn CustomerAccess>,
    state: EngineState,
) -> (Engine, Arc<CapturingActions>) {
    let project = project();
    let scenario =
        compile_str(yaml, Path::new("test.yaml"), &project).unwrap_or_else(|d| panic!("{d}"));
    let actions = Arc::new(CapturingActions::keeping());
    let compiler_project = project.clone();
    let engine = Engine::new(EngineParts {
        access,
        state,
        actions: actions.clone(),
        providers: project.mailbox_providers(),
        scenarios: vec![scenario],
        compiler: Box::new(move |s| {
            compile_str(s, Path::new("stored"), &compiler_project).map_err(|d| d.to_string())
        }),
        durable: false,
    });
    (engine, actions)
}

/// [`engine_with`] on in-memory state.
pub fn engine(yaml: &str, access: Arc<dyn CustomerAccess>) -> (Engine, Arc<CapturingActions>) {
    engine_with(yaml, access, EngineState::in_memory())
}
