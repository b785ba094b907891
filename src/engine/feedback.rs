//! Deliverability feedback for limit guards: `campaign` events with `action: bounced` or
//! `complained` (from the Klaviyo sync or the ingest API) are counted per scenario, local
//! date of the send and mailbox provider, next to the `delivered` counts the engine keeps
//! when it sends.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::Value;

use super::error::Result;
use super::runner::Engine;
use super::state::Commit;
use crate::project::mailbox_provider_of;

/// Meta key of the event-log cursor of the feedback reader.
const CURSOR: &str = "feedback_cursor";

impl Engine {
    /// Counts the bounce and complaint events recorded since the last call.
    pub(super) fn read_feedback(&self) -> Result<()> {
        let cursor = match self.state.meta(CURSOR)? {
            Some(cursor) => cursor,
            None => {
                let mut commit = Commit::new();
                commit.put_meta(CURSOR, self.access.next_event_seq()?);
                return self.state.commit(commit);
            }
        };
        let runs: HashMap<u64, NaiveDate> = self
            .state
            .runs()?
            .into_iter()
            .map(|run| (run.id, run.local_date))
            .collect();
        let mut commit = Commit::new();
        let mut found = Vec::new();
        let next = self.access.events_since(cursor, &mut |logged| {
            let event = &logged.event;
            let action = event.properties.get("action").and_then(Value::as_str);
            if event.event_type == "campaign" && matches!(action, Some("bounced" | "complained")) {
                found.push(logged);
            }
            Ok(())
        })?;
        for logged in found {
            let props = &logged.event.properties;
            let text = |name: &str| props.get(name).and_then(Value::as_str).map(str::to_owned);
            let Some(scenario) = text("scenario") else {
                continue;
            };
            let tz = self
                .scenarios
                .iter()
                .find(|s| s.name() == scenario)
                .map_or(chrono_tz::UTC, |s| s.timezone());
            let date = props
                .get("run")
                .and_then(Value::as_u64)
                .and_then(|run| runs.get(&run).copied())
                .unwrap_or_else(|| logged.event.timestamp.with_timezone(&tz).date_naive());
            let provider = match text("mailbox_provider") {
                Some(provider) => provider,
                None => {
                    let email = self
                        .access
                        .customer(logged.customer)?
                        .and_then(|c| c.value("email"))
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    mailbox_provider_of(&email, &self.providers).to_owned()
                }
            };
            let action = text("action").unwrap_or_default();
            commit.stat(&scenario, date, &provider, &action, 1);
        }
        commit.put_meta(CURSOR, next.max(cursor));
        self.state.commit(commit)
    }
}
