use std::path::PathBuf;

use super::output;
use anyhow::Context;

/// Write the JSON Schemas of the project and scenario files.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Folder to write `project.schema.json` and `scenario.schema.json` into.
    #[arg(long, default_value = "schema")]
    pub out: PathBuf,
}

pub fn run(args: SchemaArgs) -> anyhow::Result<()> {
    crate::schema::write_schemas(&args.out)
        .with_context(|| format!("cannot write schemas into `{}`", args.out.display()))?;
    output::outln!(
        "wrote {}/{{project,scenario}}.schema.json",
        args.out.display()
    );
    Ok(())
}
