//! Klaviyo syncs on the project's schedule inside `warmup run`: profiles, events and list
//! reconciliation each at their own interval (`klaviyo.sync`), all three once at start-up so a
//! restarted engine catches up at once. A failed sync is reported and tried again at the
//! phase's next interval; the engine keeps running either way.

use super::output;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::klaviyo::setup::KlaviyoSetup;
use crate::klaviyo::sync::{SyncOptions, Syncer};
use crate::store::Store;

/// The three phases and when each is next due.
struct Due {
    profiles: Instant,
    events: Instant,
    reconcile: Instant,
}

/// Runs scheduled syncs until `cancel` fires.
pub(crate) async fn sync_on_schedule(
    setup: KlaviyoSetup,
    store: Arc<Store>,
    cancel: CancellationToken,
) {
    let start = Instant::now();
    let mut due = Due {
        profiles: start,
        events: start,
        reconcile: start,
    };
    loop {
        let next = due.profiles.min(due.events).min(due.reconcile);
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep_until(next) => {}
        }
        let now = Instant::now();
        let options = SyncOptions {
            profiles: due.profiles <= now,
            events: due.events <= now,
            reconcile: due.reconcile <= now,
            progress: false,
            cancel: cancel.clone(),
            memberships: setup.memberships.clone(),
            ..SyncOptions::default()
        };
        reschedule(&mut due, &options, now, &setup);
        let sink: &Store = &store;
        let outcome = match Syncer::new(setup.client.clone(), sink, setup.mapping.clone(), options)
        {
            Ok(syncer) => syncer.run().await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(report) => output::outln!("Klaviyo sync: {}", one_line(&report.to_string())),
            Err(error) if !cancel.is_cancelled() => {
                output::errln!("warning: Klaviyo sync failed: {error}")
            }
            Err(_) => return,
        }
    }
}

fn reschedule(due: &mut Due, options: &SyncOptions, now: Instant, setup: &KlaviyoSetup) {
    let after = |interval: Duration| now + interval;
    if options.profiles {
        due.profiles = after(setup.schedule.profiles);
    }
    if options.events {
        due.events = after(setup.schedule.events);
    }
    if options.reconcile {
        due.reconcile = after(setup.schedule.reconcile);
    }
}

fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
