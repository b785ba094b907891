//! `warmup sync klaviyo`: profiles, consent history and campaign events from Klaviyo into the
//! customer store, then reconciliation of mapped list membership.
//!
//! - Initial load (`--initial`, or no cursor yet): every profile, the whole consent history,
//!   campaign events of the last 30 days.
//! - Incremental: profiles with `updated` after the cursor, events with `datetime` at or
//!   after the per-metric cursor; Klaviyo event ids already recorded are skipped, so a rerun
//!   adds no duplicates.
//! - Reconciliation: each mapped list's members are compared with what the store believes;
//!   removals and suppressions Klaviyo never reports as events become `consent` rejects.
//! - Memberships (`klaviyo.memberships`): members of the named lists and segments kept on the
//!   customers as `klaviyo_lists` / `klaviyo_segments` (see `memberships`).
//!
//! The output goes through [`CustomerSink`], implemented by the customer store.

mod events;
mod mapping;
mod memberships;
mod prefetch;
mod profiles;
mod progress;
mod reconcile;
mod report;
mod schedule;
mod sink;
mod state;
mod store_sink;

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use mapping::{
    is_campaign_metric, is_consent_metric, list_id_of, Mapping, CAMPAIGN_METRICS,
    GLOBAL_UNSUBSCRIBES, LIST_METRICS, OTHER_CONSENT,
};
pub use memberships::{LISTS_PROPERTY, SEGMENTS_PROPERTY};
pub use report::{PhaseStats, SyncReport};
pub use schedule::{ScheduleError, SyncSchedule, MIN_INTERVAL};
pub use sink::{CustomerHandle, CustomerSink, SinkError, SyncedCustomer, SyncedEvent, Upserted};
pub use state::{Known, SyncState};

use crate::klaviyo::client::{KlaviyoClient, KlaviyoError};
use progress::Progress;

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Klaviyo failed (after retries) or refused.
    #[error(transparent)]
    Klaviyo(#[from] KlaviyoError),
    /// The store failed.
    #[error("customer store: {0}")]
    Sink(#[from] SinkError),
    /// Cancelled (Ctrl-C, shutdown); cursors of unfinished phases did not move.
    #[error("sync cancelled")]
    Cancelled,
}

/// What to sync and how.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Forget cursors and load everything again.
    pub initial: bool,
    /// Sync profiles.
    pub profiles: bool,
    /// Sync consent and campaign events.
    pub events: bool,
    /// Reconcile mapped list membership.
    pub reconcile: bool,
    /// Lists and segments whose members are kept on customers (`klaviyo.memberships`): new
    /// members with `events`, every member (and so removals) with `reconcile` or `initial`.
    pub memberships: crate::project::Memberships,
    /// How far back campaign events go on an initial load.
    pub campaign_window: Duration,
    /// Show progress (only on a terminal).
    pub progress: bool,
    /// Stops the sync between pages.
    pub cancel: CancellationToken,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            initial: false,
            profiles: true,
            events: true,
            reconcile: true,
            memberships: Default::default(),
            campaign_window: Duration::days(30),
            progress: true,
            cancel: CancellationToken::new(),
        }
    }
}

/// One sync run.
pub struct Syncer<'a> {
    client: KlaviyoClient,
    sink: &'a dyn CustomerSink,
    mapping: Mapping,
    state: SyncState,
    options: SyncOptions,
    report: SyncReport,
    progress: Progress,
    tracker: TaskTracker,
    /// Stops this run's page fetchers (a child of the caller's token).
    stop: CancellationToken,
    /// Klaviyo profile id → customer, filled as profiles are written.
    handles: HashMap<String, CustomerHandle>,
    started: DateTime<Utc>,
}

impl<'a> Syncer<'a> {
    /// Prepares a run.
    pub fn new(
        client: KlaviyoClient,
        sink: &'a dyn CustomerSink,
        mapping: Mapping,
        options: SyncOptions,
    ) -> Result<Self, SyncError> {
        let state = SyncState::open(sink)?;
        let progress = Progress::new(options.progress);
        Ok(Self {
            client,
            sink,
            mapping,
            state,
            report: SyncReport::default(),
            progress,
            tracker: TaskTracker::new(),
            stop: options.cancel.child_token(),
            handles: HashMap::new(),
            started: Utc::now(),
            options,
        })
    }

    /// Runs the phases, flushes the store and returns the summary.
    pub async fn run(mut self) -> Result<SyncReport, SyncError> {
        let clock = Instant::now();
        let initial = self.options.initial || self.state.cursor(profiles::CURSOR)?.is_none();
        if self.options.initial {
            self.state.clear_cursors()?;
        }
        self.report.initial = initial;
        let result = self.phases(initial).await;
        self.progress.finish();
        self.tracker.close();
        self.stop.cancel();
        self.tracker.wait().await;
        result?;
        self.sink.flush()?;
        self.report.requests = self.client.requests();
        self.report.pages = self.client.pages();
        self.report.retries = self.client.retries();
        self.report.elapsed = clock.elapsed();
        Ok(self.report)
    }

    async fn phases(&mut self, initial: bool) -> Result<(), SyncError> {
        if self.options.profiles {
            let mark = self.mark();
            self.sync_profiles(initial).await?;
            self.phase_done("profiles", mark);
        }
        if self.options.events {
            let mark = self.mark();
            self.sync_events(initial).await?;
            self.phase_done("events", mark);
        }
        if self.options.reconcile && !self.mapping.lists.is_empty() {
            let mark = self.mark();
            self.reconcile().await?;
            self.phase_done("reconciliation", mark);
        }
        let memberships = self.options.memberships.clone();
        if (self.options.events || self.options.reconcile) && !memberships.is_empty() {
            let mark = self.mark();
            let full = initial || self.options.reconcile;
            self.sync_memberships(&memberships, full).await?;
            self.phase_done("memberships", mark);
        }
        Ok(())
    }

    fn mark(&self) -> (u64, Instant) {
        (self.client.requests(), Instant::now())
    }

    fn phase_done(&mut self, name: &'static str, (requests, at): (u64, Instant)) {
        self.report.phases.push(report::PhaseStats {
            name,
            requests: self.client.requests() - requests,
            seconds: at.elapsed().as_secs_f64(),
        });
    }

    fn tick(&mut self, phase: &str) -> Result<(), SyncError> {
        self.report.pages = self.client.pages();
        self.report.retries = self.client.retries();
        self.progress.update(phase, &self.report);
        if self.options.cancel.is_cancelled() {
            return Err(SyncError::Cancelled);
        }
        Ok(())
    }

    /// The customer of a Klaviyo profile, created with just its ids if the profile phase has
    /// not seen it. `None` when the store refuses the record (counted as skipped).
    fn handle_for(
        &mut self,
        profile_id: &str,
        email: Option<&str>,
    ) -> Result<Option<CustomerHandle>, SyncError> {
        if let Some(handle) = self.handles.get(profile_id) {
            return Ok(Some(*handle));
        }
        let customer = SyncedCustomer {
            klaviyo_id: profile_id.to_owned(),
            email: email.map(str::to_owned),
            properties: Default::default(),
        };
        match self.sink.upsert_customer(&customer) {
            Ok((handle, _)) => {
                self.handles.insert(profile_id.to_owned(), handle);
                Ok(Some(handle))
            }
            Err(SinkError::Rejected(reason)) => {
                self.report.skip(format!("profile {profile_id}: {reason}"));
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }
}
