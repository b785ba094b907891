//! The event phase: per relevant metric, events since its cursor (initial: the whole consent
//! history and 30 days of campaign events), mapped to `consent` / `campaign` /
//! `klaviyo_consent` events, each Klaviyo event recorded once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::mapping::{is_campaign_metric, is_consent_metric, list_id_of, GLOBAL_UNSUBSCRIBES};
use super::prefetch::prefetch;
use super::state::Known;
use super::{CustomerHandle, SyncError, SyncedEvent, Syncer};
use crate::klaviyo::client::{EventAttributes, MetricAttributes, Page};

fn cursor_name(metric_id: &str) -> String {
    format!("events.{metric_id}.datetime")
}

impl Syncer<'_> {
    /// The metrics worth syncing: (id, name).
    async fn relevant_metrics(&mut self) -> Result<Vec<(String, String)>, SyncError> {
        let mut pages = self.client.metrics()?;
        let mut out = Vec::new();
        while let Some(page) = pages.next_page().await? {
            let page: Page<MetricAttributes> = page;
            for metric in page.data {
                let name = metric.attributes.and_then(|a| a.name).unwrap_or_default();
                if is_consent_metric(&name) || is_campaign_metric(&name) {
                    out.push((metric.id, name));
                }
            }
        }
        Ok(out)
    }

    pub(super) async fn sync_events(&mut self, initial: bool) -> Result<(), SyncError> {
        for (id, name) in self.relevant_metrics().await? {
            let cursor = if initial {
                None
            } else {
                self.state.cursor(&cursor_name(&id))?
            };
            let since = cursor.or_else(|| {
                is_campaign_metric(&name).then(|| self.started - self.options.campaign_window)
            });
            self.sync_metric(&id, &name, since).await?;
        }
        Ok(())
    }

    async fn sync_metric(
        &mut self,
        metric_id: &str,
        name: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), SyncError> {
        let first = self.client.events_url(metric_id, since)?;
        let mut pages = prefetch::<EventAttributes>(&self.tracker, &self.stop, &self.client, first);
        let mut newest = since;
        while let Some(page) = pages.recv().await {
            let page = page?;
            newest = newest.max(self.record_page(name, page)?);
            self.tick(name)?;
        }
        if let Some(newest) = newest {
            // `greater-or-equal` next time: events of the same second are re-read and skipped
            // by id rather than missed.
            self.state.set_cursor(&cursor_name(metric_id), newest)?;
        }
        Ok(())
    }

    /// Records one page; returns the newest event time in it.
    fn record_page(
        &mut self,
        metric: &str,
        page: Page<EventAttributes>,
    ) -> Result<Option<DateTime<Utc>>, SyncError> {
        let emails: HashMap<String, String> = page
            .included
            .iter()
            .filter(|r| r["type"] == "profile")
            .filter_map(|r| {
                Some((
                    r["id"].as_str()?.to_owned(),
                    r["attributes"]["email"].as_str()?.to_owned(),
                ))
            })
            .collect();
        let mut batch: Vec<(CustomerHandle, SyncedEvent)> = Vec::new();
        let mut ids = Vec::with_capacity(page.data.len());
        let mut newest = None;
        for event in page.data {
            let attributes = event.attributes.clone().unwrap_or_default();
            let Some(at) = attributes.datetime.or_else(|| {
                attributes
                    .timestamp
                    .and_then(|t| DateTime::from_timestamp(t, 0))
            }) else {
                continue;
            };
            newest = newest.max(Some(at));
            if self.state.seen(&event.id)? {
                self.report.duplicate_events += 1;
                continue;
            }
            ids.push(event.id.clone());
            let Some(profile) = event.related_id("profile").map(str::to_owned) else {
                continue;
            };
            let properties = attributes.event_properties.unwrap_or_default();
            let mapped = self.mapping.events(&event.id, metric, at, &properties);
            if mapped.is_empty() {
                continue;
            }
            let Some(handle) =
                self.handle_for(&profile, emails.get(&profile).map(String::as_str))?
            else {
                continue;
            };
            self.track_membership(metric, &profile, list_id_of(&properties), at)?;
            batch.extend(mapped.into_iter().map(|e| (handle, e)));
        }
        for (_, event) in &batch {
            match event.event_type.as_str() {
                "consent" => self.report.consent_events += 1,
                "campaign" => self.report.campaign_events += 1,
                _ => self.report.other_events += 1,
            }
        }
        self.sink.record_events(&batch)?;
        self.state.mark_seen(ids.iter().map(String::as_str))?;
        Ok(newest)
    }

    /// Keeps the store's view of mapped list membership in step with list events.
    fn track_membership(
        &mut self,
        metric: &str,
        profile: &str,
        list: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), SyncError> {
        let mapped = |l: &&str| self.mapping.lists.contains_key(*l);
        match metric {
            "Subscribed to List" => {
                if let Some(list) = list.filter(mapped) {
                    self.state
                        .set_known(list, profile, Some(Known::Accepted), at)?;
                }
            }
            "Unsubscribed from List" => {
                if let Some(list) = list.filter(mapped) {
                    self.state.set_known(list, profile, None, at)?;
                }
            }
            m if GLOBAL_UNSUBSCRIBES.contains(&m) => {
                let lists: Vec<String> = self.mapping.lists.keys().cloned().collect();
                for list in lists {
                    if self.state.known(&list, profile)?.is_some() {
                        self.state
                            .set_known(&list, profile, Some(Known::Rejected), at)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
