//! Due order: a tick at T processes every scheduled fire and every group of parked tokens
//! due at or before T, earliest first, each wave at its own due instant (its logical "now").
//!
//! Ties: at one instant, parked tokens go before fires (work already under way ends before
//! new work starts, so a day's e-mails are recorded before the next run reads them); groups
//! among themselves go by run, then node; fires by scenario, then trigger order.
//! Waves may park tokens due before T (a 5-minute wait after a fire two hours ago); they
//! are picked up in the same pass, in their place.

use chrono::{DateTime, Utc};

use super::error::{EngineError, Result};
use super::runner::{Engine, TickSummary};

impl Engine {
    /// Processes everything scheduled that is due at or before `now`, in due order.
    pub(super) fn run_due(&self, now: DateTime<Utc>, summary: &mut TickSummary) -> Result<()> {
        let fires = self.owed_fires(now, summary)?;
        let mut fires = fires.iter().peekable();
        loop {
            if self.stop.requested() {
                return Err(EngineError::Stopped);
            }
            let group = self.state.first_due(now)?;
            let fire_first = match (fires.peek(), &group) {
                (None, None) => return Ok(()),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(fire), Some(group)) => fire.fire.at < group.due,
            };
            if fire_first {
                if let Some(fire) = fires.next() {
                    self.start_fire(fire, now, summary)?;
                }
            } else if let Some(group) = group {
                summary.add(self.wake(group, now)?);
            }
        }
    }
}
