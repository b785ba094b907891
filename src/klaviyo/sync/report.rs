//! What a sync did, printed at the end of `warmup sync klaviyo`.

use std::fmt;
use std::time::Duration;

/// Counters of one sync run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Whether this was an initial load.
    pub initial: bool,
    /// Customers created from Klaviyo profiles.
    pub profiles_created: u64,
    /// Customers changed.
    pub profiles_updated: u64,
    /// Profiles that changed nothing.
    pub profiles_unchanged: u64,
    /// Profiles the store refused (e.g. malformed email), with the first reasons.
    pub profiles_skipped: u64,
    /// `consent` events recorded.
    pub consent_events: u64,
    /// `campaign` events recorded.
    pub campaign_events: u64,
    /// `klaviyo_consent` events recorded.
    pub other_events: u64,
    /// Klaviyo events already recorded by an earlier run.
    pub duplicate_events: u64,
    /// Reconciliation: consent accepted for members that joined without an event.
    pub reconciled_accepts: u64,
    /// Reconciliation: consent rejected for removals and suppressions Klaviyo never reported.
    pub reconciled_rejects: u64,
    /// Customers whose `klaviyo_lists` / `klaviyo_segments` changed (someone joined or left
    /// a group named under `klaviyo.memberships`).
    pub membership_changes: u64,
    /// Collection pages fetched.
    pub pages: u64,
    /// HTTP requests sent.
    pub requests: u64,
    /// Retries after 429, 5xx or connection errors.
    pub retries: u64,
    /// Wall time.
    #[serde(skip)]
    pub elapsed: Duration,
    /// The first few reasons records were skipped.
    pub skip_reasons: Vec<String>,
    /// Per phase (`profiles`, `events`, `reconciliation`): requests sent and seconds taken.
    pub phases: Vec<PhaseStats>,
}

/// Requests and time of one phase: requests per second against Klaviyo's tier shows whether
/// the rate limit, not the sync, sets the pace.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhaseStats {
    /// Phase name.
    pub name: &'static str,
    /// Requests sent during the phase (retries included).
    pub requests: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl Eq for PhaseStats {}

impl SyncReport {
    /// All events added.
    pub fn events_added(&self) -> u64 {
        self.consent_events + self.campaign_events + self.other_events
    }

    /// Notes a skipped record, keeping the first five reasons.
    pub fn skip(&mut self, reason: String) {
        self.profiles_skipped += 1;
        if self.skip_reasons.len() < 5 {
            self.skip_reasons.push(reason);
        }
    }
}

impl fmt::Display for SyncReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.initial {
            "initial"
        } else {
            "incremental"
        };
        writeln!(
            f,
            "Klaviyo sync ({kind}) finished in {:.1}s",
            self.elapsed.as_secs_f64()
        )?;
        writeln!(
            f,
            "  profiles: {} created, {} updated, {} unchanged, {} skipped",
            self.profiles_created,
            self.profiles_updated,
            self.profiles_unchanged,
            self.profiles_skipped
        )?;
        writeln!(
            f,
            "  events added: {} ({} consent, {} campaign, {} other consent history); {} already there",
            self.events_added(),
            self.consent_events,
            self.campaign_events,
            self.other_events,
            self.duplicate_events
        )?;
        writeln!(
            f,
            "  reconciliation: {} accepted, {} rejected",
            self.reconciled_accepts, self.reconciled_rejects
        )?;
        if self.membership_changes > 0 {
            writeln!(
                f,
                "  memberships: {} customers joined or left a synced list or segment",
                self.membership_changes
            )?;
        }
        write!(
            f,
            "  requests: {} ({} pages, {} retries)",
            self.requests, self.pages, self.retries
        )?;
        for phase in &self.phases {
            let rate = phase.requests as f64 / phase.seconds.max(1e-9);
            write!(
                f,
                "\n  {}: {} requests in {:.1}s ({rate:.1}/s)",
                phase.name, phase.requests, phase.seconds
            )?;
        }
        for reason in &self.skip_reasons {
            write!(f, "\n  skipped: {reason}")?;
        }
        Ok(())
    }
}
