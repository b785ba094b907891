//! JSON:API resource objects of the fake, in Klaviyo's shapes.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::model::{ChannelConsent, EventDetail, List, Metric, Profile, Suppression};
use super::state::FakeState;
use crate::klaviyo::ids::event_id;

/// Klaviyo's timestamp style: ISO-8601 with a `+00:00` offset.
pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn opt_time(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |t| Value::from(time(t)))
}

/// Keeps only the attributes named by a sparse fieldset.
pub fn sparse(attributes: &mut Map<String, Value>, fields: Option<&[String]>) {
    if let Some(fields) = fields {
        attributes.retain(|key, _| fields.iter().any(|f| f == key));
    }
}

/// A profile resource; `subscriptions` only when asked for.
pub fn profile(base: &str, p: &Profile, subscriptions: bool, fields: Option<&[String]>) -> Value {
    let mut attributes = json!({
        "email": p.email, "phone_number": p.phone_number, "external_id": p.external_id,
        "first_name": p.first_name, "last_name": p.last_name, "organization": p.organization,
        "locale": p.locale, "title": p.title, "image": null,
        "created": time(p.created), "updated": time(p.updated), "last_event_date": null,
        "location": p.location, "properties": p.properties,
    });
    let Value::Object(map) = &mut attributes else {
        return Value::Null;
    };
    if subscriptions {
        map.insert("subscriptions".into(), subscriptions_of(p));
    }
    sparse(map, fields);
    json!({
        "type": "profile", "id": p.id, "attributes": attributes,
        "relationships": {
            "lists": {"links": {"self": format!("{base}/api/profiles/{}/relationships/lists/", p.id),
                                "related": format!("{base}/api/profiles/{}/lists/", p.id)}},
        },
        "links": {"self": format!("{base}/api/profiles/{}/", p.id)},
    })
}

fn suppressions(list: &[Suppression]) -> Value {
    list.iter()
        .map(|s| match &s.list_id {
            Some(id) => json!({"list_id": id, "reason": s.reason, "timestamp": time(s.timestamp)}),
            None => json!({"reason": s.reason, "timestamp": time(s.timestamp)}),
        })
        .collect()
}

fn subscriptions_of(p: &Profile) -> Value {
    let email = &p.email_marketing;
    let sms = &p.sms_marketing;
    json!({
        "email": {"marketing": {
            "can_receive_email_marketing": email.suppression.is_empty(),
            "consent": email.consent.as_str(),
            "consent_timestamp": opt_time(email.consent_timestamp),
            "last_updated": opt_time(email.last_updated),
            "method": email.method, "method_detail": email.method_detail,
            "custom_method_detail": email.custom_method_detail,
            "double_optin": email.double_optin,
            "suppression": suppressions(&email.suppression),
            "list_suppressions": suppressions(&email.list_suppressions),
        }},
        "sms": {"marketing": sms_marketing(sms, p.phone_number.is_some())},
    })
}

fn sms_marketing(sms: &ChannelConsent, has_phone: bool) -> Value {
    json!({
        "can_receive_sms_marketing": has_phone
            && sms.consent == super::model::Consent::Subscribed,
        "consent": sms.consent.as_str(),
        "consent_timestamp": opt_time(sms.consent_timestamp),
        "method": sms.method, "method_detail": sms.method_detail,
        "last_updated": opt_time(sms.last_updated),
    })
}

/// A list resource.
pub fn list(base: &str, l: &List, profile_count: bool, fields: Option<&[String]>) -> Value {
    let mut attributes = Map::new();
    attributes.insert("name".into(), Value::from(l.name.clone()));
    attributes.insert("created".into(), Value::from(time(l.created)));
    attributes.insert("updated".into(), Value::from(time(l.updated)));
    attributes.insert("opt_in_process".into(), l.opt_in_process.as_str().into());
    if profile_count {
        attributes.insert("profile_count".into(), Value::from(l.members.len()));
    }
    sparse(&mut attributes, fields);
    json!({
        "type": "list", "id": l.id, "attributes": attributes,
        "relationships": {"profiles": {"links": {
            "self": format!("{base}/api/lists/{}/relationships/profiles/", l.id),
            "related": format!("{base}/api/lists/{}/profiles/", l.id)}}},
        "links": {"self": format!("{base}/api/lists/{}/", l.id)},
    })
}

/// A metric resource.
pub fn metric(base: &str, m: &Metric, fields: Option<&[String]>) -> Value {
    let mut attributes = json!({
        "name": m.name, "created": time(m.created), "updated": time(m.created),
        "integration": {"object": "integration", "id": m.integration.to_lowercase(),
                        "name": m.integration, "category": m.category},
    });
    if let Value::Object(map) = &mut attributes {
        sparse(map, fields);
    }
    json!({"type": "metric", "id": m.id, "attributes": attributes,
           "links": {"self": format!("{base}/api/metrics/{}/", m.id)}})
}

/// Event properties as Klaviyo shows them for this kind of event.
fn event_properties(state: &FakeState, seq: usize) -> Value {
    let event = &state.events[seq];
    let custom = match event.detail {
        EventDetail::Custom(i) => state.custom_events.get(i as usize),
        _ => None,
    };
    let detail = custom.map_or(event.detail, |c| c.base);
    let mut properties = detail_properties(state, event.profile as usize, detail);
    if let Some(custom) = custom {
        properties.extend(custom.properties.clone());
    }
    properties.insert("$event_id".into(), Value::from(event_id(seq as u64)));
    Value::Object(properties)
}

/// The properties a list or campaign gives its events.
fn detail_properties(state: &FakeState, profile: usize, detail: EventDetail) -> Map<String, Value> {
    let value = match detail {
        EventDetail::List(l) => {
            let list = &state.lists[l as usize];
            json!({"List": list.name, "List ID": list.id})
        }
        EventDetail::Campaign(c) => {
            let campaign = &state.campaigns[c as usize];
            let domain = state.profiles[profile]
                .email
                .as_deref()
                .and_then(|e| e.split_once('@'))
                .map_or("", |(_, d)| d);
            json!({"Campaign Name": campaign.name, "Subject": campaign.subject,
                   "$message": campaign.message_id, "$flow": "", "Email Domain": domain,
                   "Client Name": "Gmail"})
        }
        EventDetail::Plain | EventDetail::Custom(_) => json!({}),
    };
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// An event resource.
pub fn event(base: &str, state: &FakeState, seq: usize, fields: Option<&[String]>) -> Value {
    let event = &state.events[seq];
    let id = event_id(seq as u64);
    let profile_id = &state.profiles[event.profile as usize].id;
    let metric_id = &state.metrics[event.metric as usize].id;
    let at = DateTime::from_timestamp(event.timestamp, 0).unwrap_or_default();
    let uuid = uuid::Uuid::from_u64_pair(seq as u64, event.timestamp as u64);
    let mut attributes = json!({
        "timestamp": event.timestamp, "datetime": time(at), "uuid": uuid.to_string(),
        "event_properties": event_properties(state, seq),
    });
    if let Value::Object(map) = &mut attributes {
        sparse(map, fields);
    }
    json!({
        "type": "event", "id": id, "attributes": attributes,
        "relationships": {
            "profile": {"data": {"type": "profile", "id": profile_id},
                        "links": {"self": format!("{base}/api/events/{id}/relationships/profile/"),
                                  "related": format!("{base}/api/events/{id}/profile/")}},
            "metric": {"data": {"type": "metric", "id": metric_id},
                       "links": {"self": format!("{base}/api/events/{id}/relationships/metric/"),
                                 "related": format!("{base}/api/events/{id}/metric/")}},
        },
        "links": {"self": format!("{base}/api/events/{id}/")},
    })
}
