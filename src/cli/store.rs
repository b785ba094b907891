//! `warmup store compact`.

use super::output;
use anyhow::Context;

use super::InvalidInput;
use crate::project::Project;
use crate::report::thousands;
use crate::store::{Compaction, Store};

/// Maintain the store folder.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    pub what: StoreWhat,
}

/// The maintenance tasks.
#[derive(Debug, clap::Subcommand)]
pub enum StoreWhat {
    /// Rewrite the store into a fresh copy, giving back the space of replaced pages (after a
    /// large import; needs the store to itself, so stop `run` and `serve` first).
    Compact,
}

/// Runs `warmup store …`.
pub fn run(project: Option<&std::path::Path>, args: StoreArgs) -> anyhow::Result<()> {
    let project = Project::load(project).map_err(|e| InvalidInput::new(e.to_string()))?;
    let dir = project.store_dir();
    match args.what {
        StoreWhat::Compact => {
            if !dir.exists() {
                return Err(InvalidInput::new(format!(
                    "there is no store at `{}` yet: import customers first",
                    dir.display()
                ))
                .into());
            }
            let compaction = Store::compact(&dir)
                .with_context(|| format!("cannot compact the store `{}`", dir.display()))?;
            output::outln!("{}", summary(&dir, &compaction));
        }
    }
    Ok(())
}

/// `compacted store `…`: 2.80 GB → 1.30 GB (7 trees, 5,000,000 entries) in 68.5 s`.
fn summary(dir: &std::path::Path, compaction: &Compaction) -> String {
    format!(
        "compacted store `{}`: {} → {} ({} trees, {} entries) in {:.1} s",
        dir.display(),
        size(compaction.before),
        size(compaction.after),
        compaction.trees,
        thousands(compaction.entries),
        compaction.elapsed.as_secs_f64()
    )
}

/// Bytes as kB, MB or GB with two decimals.
fn size(bytes: u64) -> String {
    let bytes = bytes as f64;
    match bytes {
        b if b >= 1e9 => format!("{:.2} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.2} MB", b / 1e6),
        b => format!("{:.2} kB", b / 1e3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_reads_in_units() {
        let compaction = Compaction {
            before: 2_804_000_000,
            after: 1_296_500_000,
            trees: 7,
            entries: 5_000_000,
            elapsed: std::time::Duration::from_millis(68_540),
        };
        assert_eq!(
            summary(std::path::Path::new("store"), &compaction),
            "compacted store `store`: 2.80 GB → 1.30 GB (7 trees, 5,000,000 entries) in 68.5 s"
        );
        assert_eq!(size(950_000), "950.00 kB");
        assert_eq!(size(1_500_000), "1.50 MB");
    }
}
