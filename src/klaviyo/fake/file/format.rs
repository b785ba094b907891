//! The seed file: a fake Klaviyo account written by hand (YAML) or saved by the fake (JSON or
//! YAML). Every section is optional; ids, creation times and Klaviyo's built-in metrics are
//! filled in when missing (see [`super::build`]). Unknown fields are errors.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::refs::{
    CampaignNameField, CampaignRef, Checked, EmailField, ExternalIdField, ListIdField,
    ListNameField, ListRef, MetricIdField, MetricNameField, MetricRef, PhoneField, ProfileIdField,
    ProfileRef, Validate, Validated,
};
use crate::klaviyo::fake::model::{ChannelConsent, OptInProcess};

/// A whole account.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    /// Lists (no lists when left out).
    #[serde(default)]
    pub lists: Vec<SeedList>,
    /// Metrics besides Klaviyo's built-ins, or built-ins given a fixed id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<SeedMetric>,
    /// Campaigns that events may name (they give `Campaign Name`, `Subject`, `$message`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<SeedCampaign>,
    /// Profiles.
    #[serde(default)]
    pub profiles: Vec<Validated<SeedProfile>>,
    /// Events, in any order (the fake keeps them in time order).
    #[serde(default)]
    pub events: Vec<Validated<SeedEvent>>,
}

/// A list.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedList {
    /// 6-character id; derived from the name when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Checked<ListIdField>>,
    /// Name (profiles and events may name the list by it).
    pub name: Checked<ListNameField>,
    /// `single_opt_in` (default) or `double_opt_in`.
    #[serde(default = "single_opt_in")]
    pub opt_in_process: OptInProcess,
    /// Creation time (default: the earliest time in the file).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::refs::optional_datetime"
    )]
    pub created: Option<DateTime<Utc>>,
}

fn single_opt_in() -> OptInProcess {
    OptInProcess::SingleOptIn
}

/// A metric: a custom one, or a built-in given a fixed id.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMetric {
    /// Name, e.g. `Placed Order`.
    pub name: Checked<MetricNameField>,
    /// 6-character id; derived from the name when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Checked<MetricIdField>>,
    /// Integration name (default `API` for custom metrics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<String>,
    /// Integration category (default `API` for custom metrics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Creation time (default: the earliest time in the file).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::refs::optional_datetime"
    )]
    pub created: Option<DateTime<Utc>>,
}

/// A campaign events can name.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCampaign {
    /// Name (`Campaign Name` of its events).
    pub name: Checked<CampaignNameField>,
    /// Subject line (default: the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Message id (`$message`); derived from the name when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// A profile. At least one of `email`, `phone_number`, `external_id` is required, as in
/// Klaviyo.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedProfile {
    /// ULID; derived from `created` and the identifiers when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Checked<ProfileIdField>>,
    /// Email address (unique, case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Checked<EmailField>>,
    /// Phone number (unique).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<Checked<PhoneField>>,
    /// The brand's own id (unique).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<Checked<ExternalIdField>>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Locale, e.g. `en-US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Creation time (default: the earliest time the file gives for this profile).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::refs::optional_datetime"
    )]
    pub created: Option<DateTime<Utc>>,
    /// Last change (default: the latest consent change, or `created`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::refs::optional_datetime"
    )]
    pub updated: Option<DateTime<Utc>>,
    /// `location` object (city, country, timezone, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Map<String, Value>>,
    /// Custom properties.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
    /// Email and SMS marketing consent.
    #[serde(default, skip_serializing_if = "Subscriptions::is_empty")]
    pub subscriptions: Subscriptions,
    /// Lists the profile is a member of, by id or name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<Checked<ListRef>>,
}

impl Validate for SeedProfile {
    fn validate(&self) -> Result<(), String> {
        if self.email.is_none() && self.phone_number.is_none() && self.external_id.is_none() {
            return Err("a profile needs one of `email`, `phone_number`, `external_id`".into());
        }
        if let (Some(created), Some(updated)) = (self.created, self.updated) {
            if updated < created {
                return Err(format!(
                    "`updated` ({updated}) is before `created` ({created})"
                ));
            }
        }
        Ok(())
    }
}

/// `subscriptions.email` and `subscriptions.sms` (Klaviyo's `…marketing` objects).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Subscriptions {
    /// Email marketing.
    #[serde(skip_serializing_if = "is_default")]
    pub email: Validated<ChannelConsent>,
    /// SMS marketing.
    #[serde(skip_serializing_if = "is_default")]
    pub sms: Validated<ChannelConsent>,
}

fn is_default(channel: &Validated<ChannelConsent>) -> bool {
    channel.0 == ChannelConsent::default()
}

impl Subscriptions {
    fn is_empty(&self) -> bool {
        is_default(&self.email) && is_default(&self.sms)
    }
}

impl Validate for ChannelConsent {
    fn validate(&self) -> Result<(), String> {
        if self.suppression.iter().any(|s| s.list_id.is_some()) {
            return Err(
                "`suppression` entries are global: `list_id` belongs in `list_suppressions`".into(),
            );
        }
        if self.list_suppressions.iter().any(|s| s.list_id.is_none()) {
            return Err("each of `list_suppressions` needs a `list_id`".into());
        }
        Ok(())
    }
}

/// An event.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEvent {
    /// Metric name, e.g. `Opened Email`.
    pub metric: Checked<MetricRef>,
    /// The profile, by email or id.
    pub profile: Checked<ProfileRef>,
    /// When it happened (whole seconds are kept).
    #[serde(deserialize_with = "super::refs::datetime")]
    pub datetime: DateTime<Utc>,
    /// For list metrics (`Subscribed to List`, …): the list by id or name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<Checked<ListRef>>,
    /// For campaign metrics: the campaign by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<Checked<CampaignRef>>,
    /// More event properties (e.g. `URL` of a click); they win over the list's or
    /// campaign's.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
}

impl Validate for SeedEvent {
    fn validate(&self) -> Result<(), String> {
        if self.list.is_some() && self.campaign.is_some() {
            return Err("an event names a `list` or a `campaign`, not both".into());
        }
        Ok(())
    }
}
