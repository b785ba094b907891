//! From Klaviyo to warmup: profile fields to customer properties (the project's
//! `klaviyo.properties`), Klaviyo's consent status as `klaviyo_*` properties, and metrics to
//! `consent` / `campaign` / `klaviyo_consent` events (the project's `klaviyo.lists`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::sink::{SyncedCustomer, SyncedEvent};
use crate::klaviyo::client::{Marketing, Subscriptions};

/// Metrics that withdraw email or SMS marketing consent altogether: they reject every mapped
/// category.
pub const GLOBAL_UNSUBSCRIBES: &[&str] = &[
    "Unsubscribed from Email Marketing",
    "Unsubscribed",
    "Unsubscribed from SMS",
    "Unsubscribed from SMS Marketing",
];

/// Consent metrics without a list: kept as `klaviyo_consent` history.
pub const OTHER_CONSENT: &[&str] = &[
    "Subscribed to Email Marketing",
    "Consented to Receive SMS",
    "Subscribed to SMS Marketing",
];

/// List metrics: `consent` accept / reject when the list is mapped.
pub const LIST_METRICS: &[&str] = &["Subscribed to List", "Unsubscribed from List"];

/// Campaign metrics and their `action` and channel.
pub const CAMPAIGN_METRICS: &[(&str, &str, &str)] = &[
    ("Received Email", "delivered", "email"),
    ("Opened Email", "opened", "email"),
    ("Clicked Email", "clicked", "email"),
    ("Bounced Email", "bounced", "email"),
    ("Dropped Email", "dropped", "email"),
    ("Marked Email as Spam", "complained", "email"),
    ("Received SMS", "delivered", "sms"),
    ("Clicked SMS", "clicked", "sms"),
    ("Failed to Deliver SMS", "failed", "sms"),
];

/// Whether a metric belongs to the consent history (loaded in full on the initial sync).
pub fn is_consent_metric(name: &str) -> bool {
    GLOBAL_UNSUBSCRIBES.contains(&name)
        || OTHER_CONSENT.contains(&name)
        || LIST_METRICS.contains(&name)
}

/// Whether a metric is a campaign metric (initial sync: last 30 days).
pub fn is_campaign_metric(name: &str) -> bool {
    CAMPAIGN_METRICS.iter().any(|(n, _, _)| *n == name)
}

/// The project's mapping tables.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// Klaviyo field (`first_name`, `properties.Shopify Tags`, `location.city`) → property.
    pub properties: BTreeMap<String, String>,
    /// Klaviyo list id → consent category.
    pub lists: BTreeMap<String, String>,
}

fn time(at: DateTime<Utc>) -> Value {
    Value::from(at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

impl Mapping {
    /// Distinct mapped categories.
    pub fn categories(&self) -> BTreeSet<&str> {
        self.lists.values().map(String::as_str).collect()
    }

    /// The customer a raw profile resource (`id` + `attributes`) becomes.
    pub fn customer(&self, id: &str, attributes: &Value) -> SyncedCustomer {
        let mut properties = Map::new();
        for (field, name) in &self.properties {
            let value = match field.split_once('.') {
                Some((object, key)) => attributes[object][key].clone(),
                None => attributes[field.as_str()].clone(),
            };
            properties.insert(name.clone(), value);
        }
        let subscriptions: Subscriptions =
            serde_json::from_value(attributes["subscriptions"].clone()).unwrap_or_default();
        let email = subscriptions.email.and_then(|c| c.marketing);
        let sms = subscriptions.sms.and_then(|c| c.marketing);
        consent_properties(&mut properties, "email", email.as_ref());
        consent_properties(&mut properties, "sms", sms.as_ref());
        if let Some(updated) = attributes["updated"].as_str() {
            properties.insert("klaviyo_updated".into(), Value::from(updated));
        }
        SyncedCustomer {
            klaviyo_id: id.to_owned(),
            email: attributes["email"].as_str().map(str::to_owned),
            properties,
        }
    }

    /// The events a Klaviyo event becomes. `id` is Klaviyo's event id.
    pub fn events(
        &self,
        id: &str,
        metric: &str,
        at: DateTime<Utc>,
        klaviyo_properties: &Map<String, Value>,
    ) -> Vec<SyncedEvent> {
        let base = |event_type: &str| {
            let mut properties = Map::new();
            properties.insert("source".into(), "klaviyo".into());
            properties.insert("metric".into(), metric.into());
            properties.insert("klaviyo_event_id".into(), id.into());
            SyncedEvent {
                event_type: event_type.to_owned(),
                timestamp: at,
                properties,
            }
        };
        let consent = |action: &str, category: &str| {
            let mut event = base("consent");
            event.properties.insert("action".into(), action.into());
            event.properties.insert("category".into(), category.into());
            event
        };
        if let Some((_, action, channel)) = CAMPAIGN_METRICS.iter().find(|(n, _, _)| *n == metric) {
            let mut event = base("campaign");
            let props = &mut event.properties;
            props.insert("action".into(), (*action).into());
            props.insert("channel".into(), (*channel).into());
            for (from, to) in [
                ("Campaign Name", "campaign"),
                ("Subject", "subject"),
                ("$message", "message"),
                ("URL", "url"),
            ] {
                if let Some(value) = klaviyo_properties.get(from).filter(|v| !v.is_null()) {
                    props.insert(to.into(), value.clone());
                }
            }
            return vec![event];
        }
        if GLOBAL_UNSUBSCRIBES.contains(&metric) {
            return self
                .categories()
                .into_iter()
                .map(|c| consent("reject", c))
                .collect();
        }
        if LIST_METRICS.contains(&metric) {
            let action = if metric == "Subscribed to List" {
                "accept"
            } else {
                "reject"
            };
            let list = list_id_of(klaviyo_properties);
            return match list.and_then(|l| self.lists.get(l)) {
                Some(category) => {
                    let mut event = consent(action, category);
                    event
                        .properties
                        .insert("klaviyo_list_id".into(), list.unwrap_or_default().into());
                    vec![event]
                }
                None => Vec::new(),
            };
        }
        if OTHER_CONSENT.contains(&metric) {
            return vec![base("klaviyo_consent")];
        }
        Vec::new()
    }
}

/// The list a list event names (`List ID`, `$list`, `list_id`).
pub fn list_id_of(properties: &Map<String, Value>) -> Option<&str> {
    ["List ID", "$list", "list_id"]
        .iter()
        .find_map(|k| properties.get(*k).and_then(Value::as_str))
}

fn consent_properties(out: &mut Map<String, Value>, channel: &str, marketing: Option<&Marketing>) {
    let key = |name: &str| format!("klaviyo_{channel}_{name}");
    let Some(m) = marketing else {
        return;
    };
    out.insert(
        key("consent"),
        m.consent.clone().map_or(Value::Null, Value::from),
    );
    out.insert(
        key("consent_at"),
        m.consent_timestamp.map_or(Value::Null, time),
    );
    out.insert(
        key("double_optin"),
        m.double_optin.map_or(Value::Null, Value::from),
    );
    let can = m
        .can_receive_email_marketing
        .or(m.can_receive_sms_marketing);
    out.insert(key("can_receive"), can.map_or(Value::Null, Value::from));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn properties_and_consent_status_are_mapped() {
        let mapping = Mapping {
            properties: BTreeMap::from([
                ("phone_number".into(), "klaviyo_phone".into()),
                ("properties.Shopify Tags".into(), "tags_from_shopify".into()),
                ("location.city".into(), "city".into()),
                ("title".into(), "title".into()),
            ]),
            lists: BTreeMap::new(),
        };
        let attributes = json!({
            "email": "Ann@Example.com", "phone_number": "+15005550006", "title": null,
            "updated": "2026-11-01T10:00:00+00:00",
            "properties": {"Shopify Tags": ["vip"]}, "location": {"city": "Brno"},
            "subscriptions": {"email": {"marketing": {"consent": "SUBSCRIBED",
                "consent_timestamp": "2026-10-01T08:00:00.123456+00:00", "double_optin": true,
                "can_receive_email_marketing": true}}}
        });
        let customer = mapping.customer("01GDDKASAP8TKDDA2GRZDSVP4H", &attributes);
        assert_eq!(customer.email.as_deref(), Some("Ann@Example.com"));
        let p = &customer.properties;
        assert_eq!(p["klaviyo_phone"], "+15005550006");
        assert_eq!(p["tags_from_shopify"], json!(["vip"]));
        assert_eq!(p["city"], "Brno");
        assert_eq!(p["title"], Value::Null, "null clears the property");
        assert_eq!(p["klaviyo_email_consent"], "SUBSCRIBED");
        assert_eq!(p["klaviyo_email_consent_at"], "2026-10-01T08:00:00Z");
        assert_eq!(p["klaviyo_email_double_optin"], true);
        assert!(
            !p.contains_key("klaviyo_sms_consent"),
            "no sms block, nothing claimed"
        );
    }
}
