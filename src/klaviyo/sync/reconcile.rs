//! Reconciliation: compare each mapped list's members in Klaviyo with what the store
//! believes, and record what Klaviyo's events never report — manual removals (reject),
//! suppressions of members (reject), and members that joined without an event while able to
//! receive email marketing (accept).

use std::collections::HashSet;

use chrono::Utc;
use serde_json::Value;

use super::prefetch::prefetch;
use super::state::Known;
use super::{SyncError, SyncedEvent, Syncer};
use crate::klaviyo::client::{ProfileAttributes, Resource};

/// Whether a member may receive marketing through `list`: subscribed to email marketing
/// without a global or list suppression, or subscribed to SMS marketing (a list's channel is
/// not visible through the API, so either channel counts).
fn eligible(profile: &Resource<ProfileAttributes>, list: &str) -> bool {
    let subscriptions = profile
        .attributes
        .as_ref()
        .and_then(|a| a.subscriptions.as_ref());
    let marketing = |channel: Option<&crate::klaviyo::client::Channel>| {
        channel.and_then(|c| c.marketing.clone())
    };
    let email = marketing(subscriptions.and_then(|s| s.email.as_ref()));
    let sms = marketing(subscriptions.and_then(|s| s.sms.as_ref()));
    let email_ok = email.is_some_and(|m| {
        let list_suppressed = m
            .list_suppressions
            .iter()
            .flatten()
            .any(|s| s.list_id.as_deref() == Some(list));
        m.consent.as_deref() == Some("SUBSCRIBED")
            && m.can_receive_email_marketing != Some(false)
            && !list_suppressed
    });
    email_ok || sms.is_some_and(|m| m.consent.as_deref() == Some("SUBSCRIBED"))
}

impl Syncer<'_> {
    pub(super) async fn reconcile(&mut self) -> Result<(), SyncError> {
        let lists: Vec<(String, String)> = self
            .mapping
            .lists
            .iter()
            .map(|(l, c)| (l.clone(), c.clone()))
            .collect();
        for (list, category) in lists {
            self.reconcile_list(&list, &category).await?;
        }
        Ok(())
    }

    async fn reconcile_list(&mut self, list: &str, category: &str) -> Result<(), SyncError> {
        let first = self.client.list_members_url(list)?;
        let mut pages =
            prefetch::<ProfileAttributes>(&self.tracker, &self.stop, &self.client, first);
        let mut current = HashSet::new();
        let now = Utc::now();
        while let Some(page) = pages.recv().await {
            let mut batch = Vec::new();
            for member in page?.data {
                let known = self.state.known(list, &member.id)?;
                // A member the store holds as rejected stays so: a renewed subscription
                // arrives as a `Subscribed to List` event.
                let decision = match (eligible(&member, list), known) {
                    (_, Some(Known::Rejected)) | (true, Some(Known::Accepted)) => None,
                    (true, None) => Some(("accept", Known::Accepted, "on the list in Klaviyo")),
                    (false, Some(Known::Accepted)) => Some((
                        "reject",
                        Known::Rejected,
                        "suppressed or unsubscribed in Klaviyo",
                    )),
                    (false, None) => {
                        self.state
                            .set_known(list, &member.id, Some(Known::Rejected), now)?;
                        None
                    }
                };
                if let Some((action, known, reason)) = decision {
                    let email = member.attributes.as_ref().and_then(|a| a.email.clone());
                    if let Some(handle) = self.handle_for(&member.id, email.as_deref())? {
                        batch.push((handle, self.reconciled(action, category, list, reason)));
                        self.state.set_known(list, &member.id, Some(known), now)?;
                    }
                }
                current.insert(member.id);
            }
            self.write_reconciled(&batch)?;
            self.tick("reconciliation")?;
        }
        self.record_removals(list, category, &current)
    }

    /// Members the store believes in that are no longer on the list.
    fn record_removals(
        &mut self,
        list: &str,
        category: &str,
        current: &HashSet<String>,
    ) -> Result<(), SyncError> {
        let now = Utc::now();
        let gone: Vec<(String, Known)> = self
            .state
            .known_members(list)
            .filter(|m| m.as_ref().map_or(true, |(id, _)| !current.contains(id)))
            .collect::<Result<_, _>>()?;
        let mut batch = Vec::new();
        for (profile, known) in gone {
            if known == Known::Accepted {
                if let Some(handle) = self.handle_for(&profile, None)? {
                    batch.push((
                        handle,
                        self.reconciled(
                            "reject",
                            category,
                            list,
                            "removed from the list in Klaviyo",
                        ),
                    ));
                }
            }
            self.state.set_known(list, &profile, None, now)?;
        }
        self.write_reconciled(&batch)
    }

    fn reconciled(&self, action: &str, category: &str, list: &str, reason: &str) -> SyncedEvent {
        let mut properties = serde_json::Map::new();
        properties.insert("action".into(), action.into());
        properties.insert("category".into(), category.into());
        properties.insert("source".into(), "klaviyo".into());
        properties.insert(
            "reason".into(),
            Value::from(format!("reconciliation: {reason}")),
        );
        properties.insert("klaviyo_list_id".into(), list.into());
        SyncedEvent {
            event_type: "consent".into(),
            timestamp: Utc::now(),
            properties,
        }
    }

    fn write_reconciled(&mut self, batch: &[(u64, SyncedEvent)]) -> Result<(), SyncError> {
        for (_, event) in batch {
            if event.properties["action"] == "accept" {
                self.report.reconciled_accepts += 1;
            } else {
                self.report.reconciled_rejects += 1;
            }
        }
        self.report.consent_events += batch.len() as u64;
        self.sink.record_events(batch)?;
        Ok(())
    }
}
