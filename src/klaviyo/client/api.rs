//! The endpoints warmup uses, typed: reads for the sync, writes for presets and the demo.
//! Writes are split into calls of Klaviyo's per-call maxima.

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::{Method, Url};
use serde_json::{json, Value};

use super::client::KlaviyoClient;
use super::error::KlaviyoError;
use super::model::{
    EventAttributes, Identifier, KlaviyoProfile, ListAttributes, MetricAttributes,
    ProfileAttributes,
};
use super::pages::Pages;

/// Profiles per list membership call.
pub const MEMBERSHIP_BATCH: usize = 1000;
/// Profiles per subscribe job.
pub const SUBSCRIBE_BATCH: usize = 1000;
/// Profiles per unsubscribe job.
pub const UNSUBSCRIBE_BATCH: usize = 100;

/// A datetime as a filter literal (unquoted ISO-8601).
pub fn filter_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl KlaviyoClient {
    fn start(&self, path: &str, query: &[(&str, String)]) -> Result<Url, KlaviyoError> {
        self.url(path, query)
    }

    /// Every profile (100 per page) with `subscriptions`; only those updated after
    /// `updated_after` when given.
    pub fn profiles(
        &self,
        updated_after: Option<DateTime<Utc>>,
    ) -> Result<Pages<'_, ProfileAttributes>, KlaviyoError> {
        Ok(Pages::new(self, self.profiles_url(updated_after)?))
    }

    /// The first page URL of [`KlaviyoClient::profiles`].
    pub fn profiles_url(&self, updated_after: Option<DateTime<Utc>>) -> Result<Url, KlaviyoError> {
        let mut query = vec![
            ("page[size]", "100".to_owned()),
            ("additional-fields[profile]", "subscriptions".to_owned()),
        ];
        if let Some(after) = updated_after {
            query.push((
                "filter",
                format!("greater-than(updated,{})", filter_time(after)),
            ));
        }
        self.start("/api/profiles/", &query)
    }

    /// A profile by id.
    pub async fn profile(&self, id: &str) -> Result<KlaviyoProfile, KlaviyoError> {
        let url = self.url(&format!("/api/profiles/{id}/"), &[])?;
        let answer = self.send(Method::GET, url, None).await?;
        decode(&format!("/api/profiles/{id}/"), answer.body["data"].clone())
    }

    /// Every list (10 per page).
    pub fn lists(&self) -> Result<Pages<'_, ListAttributes>, KlaviyoError> {
        Ok(Pages::new(self, self.start("/api/lists/", &[])?))
    }

    /// The member ids of a list (100 per page).
    pub fn list_member_ids(&self, list_id: &str) -> Result<Pages<'_, Value>, KlaviyoError> {
        let path = format!("/api/lists/{list_id}/relationships/profiles/");
        Ok(Pages::new(
            self,
            self.start(&path, &[("page[size]", "100".into())])?,
        ))
    }

    /// The member profiles of a list with `subscriptions` and `joined_group_at`.
    pub fn list_members(
        &self,
        list_id: &str,
    ) -> Result<Pages<'_, ProfileAttributes>, KlaviyoError> {
        Ok(Pages::new(self, self.list_members_url(list_id)?))
    }

    /// The first page URL of [`KlaviyoClient::list_members`].
    pub fn list_members_url(&self, list_id: &str) -> Result<Url, KlaviyoError> {
        let path = format!("/api/lists/{list_id}/profiles/");
        let query = [
            ("page[size]", "100".to_owned()),
            ("additional-fields[profile]", "subscriptions".to_owned()),
        ];
        self.start(&path, &query)
    }

    /// Every metric.
    pub fn metrics(&self) -> Result<Pages<'_, MetricAttributes>, KlaviyoError> {
        Ok(Pages::new(self, self.start("/api/metrics/", &[])?))
    }

    /// Events of one metric at or after `since`, oldest first, 1000 per page, with the
    /// profile's email included.
    pub fn events(
        &self,
        metric_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Pages<'_, EventAttributes>, KlaviyoError> {
        Ok(Pages::new(self, self.events_url(metric_id, since)?))
    }

    /// The first page URL of [`KlaviyoClient::events`].
    pub fn events_url(
        &self,
        metric_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Url, KlaviyoError> {
        let metric = format!("equals(metric_id,\"{metric_id}\")");
        let filter = match since {
            Some(at) => format!(
                "and({metric},greater-or-equal(datetime,{}))",
                filter_time(at)
            ),
            None => metric,
        };
        let query = [
            ("filter", filter),
            ("include", "profile".to_owned()),
            ("fields[profile]", "email".to_owned()),
            ("sort", "datetime".to_owned()),
            ("page[size]", "1000".to_owned()),
        ];
        self.start("/api/events/", &query)
    }

    /// Creates a profile; a 409 comes back as [`KlaviyoError::Api`] with `duplicate_profile`.
    pub async fn create_profile(&self, attributes: Value) -> Result<KlaviyoProfile, KlaviyoError> {
        let body = json!({"data": {"type": "profile", "attributes": attributes}});
        let url = self.url("/api/profiles/", &[])?;
        let answer = self.send(Method::POST, url, Some(&body)).await?;
        decode("/api/profiles/", answer.body["data"].clone())
    }

    /// Adds profiles to a list, 1000 per call.
    pub async fn add_to_list(
        &self,
        list_id: &str,
        profile_ids: &[String],
    ) -> Result<(), KlaviyoError> {
        self.membership(Method::POST, list_id, profile_ids).await
    }

    /// Removes profiles from a list, 1000 per call (does not unsubscribe them).
    pub async fn remove_from_list(
        &self,
        list_id: &str,
        profile_ids: &[String],
    ) -> Result<(), KlaviyoError> {
        self.membership(Method::DELETE, list_id, profile_ids).await
    }

    async fn membership(
        &self,
        method: Method,
        list_id: &str,
        ids: &[String],
    ) -> Result<(), KlaviyoError> {
        let path = format!("/api/lists/{list_id}/relationships/profiles/");
        for chunk in ids.chunks(MEMBERSHIP_BATCH) {
            let data: Vec<Value> = chunk
                .iter()
                .map(|id| json!({"type": "profile", "id": id}))
                .collect();
            let url = self.url(&path, &[])?;
            self.send(method.clone(), url, Some(&json!({"data": data})))
                .await?;
        }
        Ok(())
    }

    /// Subscribes emails to email marketing (optionally via a list), 1000 per job.
    pub async fn subscribe(
        &self,
        list_id: Option<&str>,
        emails: &[String],
    ) -> Result<(), KlaviyoError> {
        for chunk in emails.chunks(SUBSCRIBE_BATCH) {
            let profiles = job_profiles(chunk, "SUBSCRIBED");
            let body = job_body("profile-subscription-bulk-create-job", profiles, list_id);
            let url = self.url("/api/profile-subscription-bulk-create-jobs/", &[])?;
            self.send(Method::POST, url, Some(&body)).await?;
        }
        Ok(())
    }

    /// Unsubscribes emails from email marketing (from a list when given), 100 per job.
    pub async fn unsubscribe(
        &self,
        list_id: Option<&str>,
        emails: &[String],
    ) -> Result<(), KlaviyoError> {
        for chunk in emails.chunks(UNSUBSCRIBE_BATCH) {
            let profiles = job_profiles(chunk, "UNSUBSCRIBED");
            let body = job_body("profile-subscription-bulk-delete-job", profiles, list_id);
            let url = self.url("/api/profile-subscription-bulk-delete-jobs/", &[])?;
            self.send(Method::POST, url, Some(&body)).await?;
        }
        Ok(())
    }

    /// The member ids of a list, all pages.
    pub async fn all_member_ids(&self, list_id: &str) -> Result<Vec<String>, KlaviyoError> {
        let mut pages = self.list_member_ids(list_id)?;
        let mut out = Vec::new();
        while let Some(page) = pages.next_page().await? {
            out.extend(page.data.into_iter().map(|r: Identifier| r.id));
        }
        Ok(out)
    }
}

fn job_profiles(emails: &[String], consent: &str) -> Vec<Value> {
    emails
        .iter()
        .map(|email| {
            json!({"type": "profile", "attributes": {"email": email,
                "subscriptions": {"email": {"marketing": {"consent": consent}}}}})
        })
        .collect()
}

fn job_body(kind: &str, profiles: Vec<Value>, list_id: Option<&str>) -> Value {
    let mut body = json!({"data": {"type": kind,
        "attributes": {"profiles": {"data": profiles}}}});
    if let Some(list) = list_id {
        body["data"]["relationships"] = json!({"list": {"data": {"type": "list", "id": list}}});
    }
    body
}

fn decode<T: serde::de::DeserializeOwned>(path: &str, value: Value) -> Result<T, KlaviyoError> {
    serde_json::from_value(value).map_err(|e| KlaviyoError::Decode {
        path: path.to_owned(),
        message: e.to_string(),
    })
}
