//! Typed Klaviyo resources, as far as warmup reads them. Every attribute is optional because
//! Klaviyo documents every attribute as nullable.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

/// A JSON:API resource object.
#[derive(Debug, Clone, Deserialize)]
pub struct Resource<A> {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `id`.
    pub id: String,
    /// `attributes`.
    #[serde(default = "Option::default")]
    pub attributes: Option<A>,
    /// `relationships`, untyped.
    #[serde(default)]
    pub relationships: Value,
}

impl<A> Resource<A> {
    /// The id of a to-one relationship (`relationships.<name>.data.id`).
    pub fn related_id(&self, name: &str) -> Option<&str> {
        self.relationships[name]["data"]["id"].as_str()
    }
}

/// A profile's attributes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProfileAttributes {
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone_number: Option<String>,
    /// External id.
    pub external_id: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Organization.
    pub organization: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Locale.
    pub locale: Option<String>,
    /// Created.
    pub created: Option<DateTime<Utc>>,
    /// Updated.
    pub updated: Option<DateTime<Utc>>,
    /// Location object.
    pub location: Option<Value>,
    /// Custom properties.
    pub properties: Option<Map<String, Value>>,
    /// Consent (only with `additional-fields[profile]=subscriptions`).
    pub subscriptions: Option<Subscriptions>,
    /// When the profile joined the list (list member endpoints only).
    pub joined_group_at: Option<DateTime<Utc>>,
}

/// `subscriptions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Subscriptions {
    /// Email channel.
    pub email: Option<Channel>,
    /// SMS channel.
    pub sms: Option<Channel>,
}

/// A channel of `subscriptions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Channel {
    /// Marketing consent.
    pub marketing: Option<Marketing>,
}

/// `subscriptions.<channel>.marketing`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Marketing {
    /// `SUBSCRIBED`, `UNSUBSCRIBED`, `NEVER_SUBSCRIBED`.
    pub consent: Option<String>,
    /// When consent was given.
    pub consent_timestamp: Option<DateTime<Utc>>,
    /// Last change.
    pub last_updated: Option<DateTime<Utc>>,
    /// Method.
    pub method: Option<String>,
    /// Method detail.
    pub method_detail: Option<String>,
    /// Confirmed double opt-in.
    pub double_optin: Option<bool>,
    /// Email: no global suppression.
    pub can_receive_email_marketing: Option<bool>,
    /// SMS: may receive.
    pub can_receive_sms_marketing: Option<bool>,
    /// Global suppressions.
    pub suppression: Option<Vec<SuppressionEntry>>,
    /// List suppressions.
    pub list_suppressions: Option<Vec<SuppressionEntry>>,
}

/// A suppression entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SuppressionEntry {
    /// Reason.
    pub reason: Option<String>,
    /// Since when.
    pub timestamp: Option<DateTime<Utc>>,
    /// The list (list suppressions).
    pub list_id: Option<String>,
}

/// A list's attributes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListAttributes {
    /// Name.
    pub name: Option<String>,
    /// `double_opt_in` / `single_opt_in`.
    pub opt_in_process: Option<String>,
    /// Members (with `additional-fields[list]=profile_count`).
    pub profile_count: Option<u64>,
}

/// A metric's attributes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MetricAttributes {
    /// Name, e.g. `Opened Email`.
    pub name: Option<String>,
}

/// An event's attributes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EventAttributes {
    /// Epoch seconds.
    pub timestamp: Option<i64>,
    /// ISO time.
    pub datetime: Option<DateTime<Utc>>,
    /// Properties.
    pub event_properties: Option<Map<String, Value>>,
}

/// A profile.
pub type KlaviyoProfile = Resource<ProfileAttributes>;
/// A list.
pub type KlaviyoList = Resource<ListAttributes>;
/// A metric.
pub type KlaviyoMetric = Resource<MetricAttributes>;
/// An event.
pub type KlaviyoEvent = Resource<EventAttributes>;
/// A bare identifier (relationship endpoints).
pub type Identifier = Resource<Value>;

/// One page of a collection.
#[derive(Debug, Clone)]
pub struct Page<A> {
    /// `data`.
    pub data: Vec<Resource<A>>,
    /// `included`, untyped.
    pub included: Vec<Value>,
}
