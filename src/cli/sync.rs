//! `warmup sync klaviyo [--initial]`: bring profiles, consent and campaign events over from
//! Klaviyo into the customer store, then reconcile mapped list membership.

use super::output;
use std::path::Path;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::InvalidInput;
use crate::klaviyo::setup::KlaviyoSetup;
use crate::klaviyo::sync::{SyncOptions, Syncer};
use crate::project::Project;

/// Sync with an external system.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub source: SyncSource,
}

/// What to sync with.
#[derive(Debug, clap::Subcommand)]
pub enum SyncSource {
    /// Profiles, consent history and campaign events from Klaviyo's API.
    Klaviyo(KlaviyoSyncArgs),
}

/// Options of `warmup sync klaviyo`.
#[derive(Debug, clap::Args)]
pub struct KlaviyoSyncArgs {
    /// Load everything again (all profiles, the whole consent history, 30 days of campaign
    /// events) instead of continuing from the cursors.
    #[arg(long)]
    pub initial: bool,
    /// Run only one phase.
    #[arg(long, value_parser = ["profiles", "events", "reconcile"])]
    pub only: Option<String>,
}

/// Runs `warmup sync …`.
pub fn run(project: Option<&Path>, args: SyncArgs) -> anyhow::Result<()> {
    let SyncSource::Klaviyo(args) = args.source;
    let project_file = Project::load(project).map_err(|e| InvalidInput::new(e.to_string()))?;
    let setup =
        KlaviyoSetup::from_project(&project_file).map_err(|e| InvalidInput::new(e.to_string()))?;
    let (_, store) = super::customers::open_project_store(project)?;
    let only = args.only.as_deref();
    let cancel = CancellationToken::new();
    let options = SyncOptions {
        initial: args.initial,
        profiles: only.is_none_or(|o| o == "profiles"),
        events: only.is_none_or(|o| o == "events"),
        reconcile: only.is_none_or(|o| o == "reconcile"),
        cancel: cancel.clone(),
        memberships: setup.memberships.clone(),
        ..SyncOptions::default()
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let stop = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.cancel();
            }
        });
        Syncer::new(setup.client, &store, setup.mapping, options)?
            .run()
            .await
    });
    let report = report.context("Klaviyo sync failed")?;
    output::outln!("{report}");
    Ok(())
}
