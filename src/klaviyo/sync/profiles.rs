//! The profile phase: every profile (initial) or those updated after the cursor.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::prefetch::prefetch;
use super::sink::{SinkError, Upserted};
use super::{SyncError, Syncer};

/// Cursor name of the profile phase.
pub const CURSOR: &str = "profiles.updated";

impl Syncer<'_> {
    pub(super) async fn sync_profiles(&mut self, initial: bool) -> Result<(), SyncError> {
        let since = if initial {
            None
        } else {
            self.state.cursor(CURSOR)?
        };
        let first = self.client.profiles_url(since)?;
        let mut pages = prefetch::<Value>(&self.tracker, &self.stop, &self.client, first);
        let mut newest: Option<DateTime<Utc>> = None;
        while let Some(page) = pages.recv().await {
            for profile in page?.data {
                let attributes = profile.attributes.unwrap_or(Value::Null);
                let updated = attributes["updated"]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc));
                newest = newest.max(updated);
                let customer = self.mapping.customer(&profile.id, &attributes);
                match self.sink.upsert_customer(&customer) {
                    Ok((handle, outcome)) => {
                        self.handles.insert(profile.id, handle);
                        match outcome {
                            Upserted::Created => self.report.profiles_created += 1,
                            Upserted::Updated => self.report.profiles_updated += 1,
                            Upserted::Unchanged => self.report.profiles_unchanged += 1,
                        }
                    }
                    Err(SinkError::Rejected(reason)) => self
                        .report
                        .skip(format!("profile {}: {reason}", profile.id)),
                    Err(error) => return Err(error.into()),
                }
            }
            self.tick("profiles")?;
        }
        // A profile changed while the pages were read may carry an `updated` older than the
        // newest one seen; starting a minute before the run began catches it next time.
        let safe = self.started - Duration::minutes(1);
        let cursor = newest
            .map(|n| (n - Duration::seconds(1)).min(safe))
            .or(since)
            .unwrap_or(safe);
        self.state.set_cursor(CURSOR, cursor)?;
        Ok(())
    }
}
