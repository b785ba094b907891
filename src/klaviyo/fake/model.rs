//! The records the fake keeps: profiles with their consent, lists, metrics, events. Consent
//! and suppressions are also the shapes of a seed file (see [`super::file`]), in Klaviyo's
//! wire spelling.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Klaviyo's consent values for a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Consent {
    /// Opted in.
    Subscribed,
    /// Opted out.
    Unsubscribed,
    /// Never asked.
    #[default]
    NeverSubscribed,
}

impl Consent {
    /// The wire value (`SUBSCRIBED`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscribed => "SUBSCRIBED",
            Self::Unsubscribed => "UNSUBSCRIBED",
            Self::NeverSubscribed => "NEVER_SUBSCRIBED",
        }
    }
}

/// A suppression entry (`reason`, `timestamp`, and `list_id` for list suppressions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// `HARD_BOUNCE`, `SPAM_COMPLAINT`, `UNSUBSCRIBE`, `USER_SUPPRESSED`, …
    pub reason: String,
    /// When it began.
    #[serde(deserialize_with = "super::file::refs::datetime")]
    pub timestamp: DateTime<Utc>,
    /// The list, for list suppressions (a seed file may name the list by id or name).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::file::refs::optional_list"
    )]
    pub list_id: Option<String>,
}

/// `subscriptions.<channel>.marketing`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelConsent {
    /// Current consent.
    pub consent: Consent,
    /// When consent was given.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::file::refs::optional_datetime"
    )]
    pub consent_timestamp: Option<DateTime<Utc>>,
    /// When the consent last changed.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::file::refs::optional_datetime"
    )]
    pub last_updated: Option<DateTime<Utc>>,
    /// e.g. `PREFERENCE_PAGE`, `TEXT`, `API`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// e.g. `JOIN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method_detail: Option<String>,
    /// The `custom_source` given at subscribe time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_method_detail: Option<String>,
    /// True once a double opt-in was confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub double_optin: Option<bool>,
    /// Global suppressions (email only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppression: Vec<Suppression>,
    /// Per-list suppressions (email only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub list_suppressions: Vec<Suppression>,
}

/// A profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// 26-character ULID.
    pub id: String,
    /// Email address.
    pub email: Option<String>,
    /// Phone number (E.164 for new profiles; old ones may hold anything).
    pub phone_number: Option<String>,
    /// The brand's own id.
    pub external_id: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Organization.
    pub organization: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Locale, e.g. `en-US`.
    pub locale: Option<String>,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Last change.
    pub updated: DateTime<Utc>,
    /// `location` object (city, country, …) or null.
    pub location: Value,
    /// Custom properties.
    pub properties: Map<String, Value>,
    /// Email marketing consent.
    pub email_marketing: ChannelConsent,
    /// SMS marketing consent.
    pub sms_marketing: ChannelConsent,
}

impl Profile {
    /// A profile with only an id and times.
    pub fn new(id: String, at: DateTime<Utc>) -> Self {
        Self {
            id,
            email: None,
            phone_number: None,
            external_id: None,
            first_name: None,
            last_name: None,
            organization: None,
            title: None,
            locale: None,
            created: at,
            updated: at,
            location: Value::Null,
            properties: Map::new(),
            email_marketing: ChannelConsent::default(),
            sms_marketing: ChannelConsent::default(),
        }
    }
}

/// `double_opt_in` or `single_opt_in`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptInProcess {
    /// Subscribing sends a confirmation first; consent changes once confirmed.
    DoubleOptIn,
    /// Subscribing takes effect at once.
    SingleOptIn,
}

impl OptInProcess {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DoubleOptIn => "double_opt_in",
            Self::SingleOptIn => "single_opt_in",
        }
    }
}

/// A list and its members.
#[derive(Debug, Clone)]
pub struct List {
    /// 6-character id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Last change.
    pub updated: DateTime<Utc>,
    /// Opt-in process applied by subscribe jobs naming this list.
    pub opt_in_process: OptInProcess,
    /// Member profile id → when it most recently joined.
    pub members: BTreeMap<String, DateTime<Utc>>,
}

/// A segment: a dynamic group whose membership Klaviyo computes; the API only reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// 6-character id.
    pub id: String,
    /// Name, e.g. `Engaged (90 Days)`.
    pub name: String,
    /// Member profile id → when it most recently joined.
    pub members: BTreeMap<String, DateTime<Utc>>,
}

/// A metric (event type).
#[derive(Debug, Clone)]
pub struct Metric {
    /// 6-character id.
    pub id: String,
    /// Name, e.g. `Opened Email`.
    pub name: String,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Integration name, e.g. `Klaviyo`.
    pub integration: String,
    /// Integration category, e.g. `Internal`.
    pub category: String,
}

/// Extra detail of an event, kept compact because the fake may hold millions of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventDetail {
    /// A list event: index into the lists.
    List(u16),
    /// A campaign event: index into the generated campaigns.
    Campaign(u16),
    /// Nothing beyond the metric.
    Plain,
    /// Properties given by a seed file: index into the state's custom event properties.
    Custom(u32),
}

/// An event with properties given by a seed file: those of its list or campaign (`base`),
/// then `properties` over them.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomEvent {
    /// [`EventDetail::List`], [`EventDetail::Campaign`] or [`EventDetail::Plain`].
    pub base: EventDetail,
    /// The properties given.
    pub properties: Map<String, Value>,
}

/// An event. Its id is derived from its position (see [`crate::klaviyo::ids::event_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Epoch seconds.
    pub timestamp: i64,
    /// Index of the profile in the state's profile vector.
    pub profile: u32,
    /// Index into the metrics.
    pub metric: u16,
    /// List or campaign.
    pub detail: EventDetail,
}

/// A generated email campaign (gives campaign events their properties).
#[derive(Debug, Clone)]
pub struct Campaign {
    /// Campaign name.
    pub name: String,
    /// Subject line.
    pub subject: String,
    /// Message id (ULID-like).
    pub message_id: String,
}
