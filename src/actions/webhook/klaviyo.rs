//! Klaviyo presets: method, path, JSON:API body and headers as Klaviyo's API expects
//! them (revision 2026-07-15), built from the `with` parameters and the customer.

use std::collections::BTreeMap;

use minijinja::Value;
use reqwest::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::Method;
use serde_json::{json, Map};

use super::auth::ResolvedAuth;
use super::call_error::ItemError;
use super::compiled::CompiledStrings;
use super::config_error::WebhookConfigError;
use super::prepared::{Prepared, PreparedItem};
use crate::project::RateLimit;
use crate::scenario::model::Preset;
use crate::template;

/// Where Klaviyo's API lives, unless the auth schema says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://a.klaviyo.com";
/// The `revision` header sent unless the auth schema names one.
pub const DEFAULT_REVISION: &str = "2026-07-15";
const JSON_API: &str = "application/vnd.api+json";

/// A preset bound to its parameters and auth schema.
#[derive(Debug)]
pub struct KlaviyoRequest {
    preset: Preset,
    params: CompiledStrings,
    base_url: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl KlaviyoRequest {
    /// Checks the node's `with` parameters against the preset and fixes the headers.
    pub fn new(
        node: &str,
        preset: Preset,
        params: &BTreeMap<String, String>,
        auth: &ResolvedAuth,
    ) -> Result<Self, WebhookConfigError> {
        let param_error = |param: &str, message: String| WebhookConfigError::Param {
            node: node.to_owned(),
            param: param.to_owned(),
            message,
        };
        for required in preset.required_params() {
            if !params.contains_key(*required) {
                return Err(param_error(
                    required,
                    format!("required by `{}`", preset.name()),
                ));
            }
        }
        for given in params.keys() {
            if !preset.allowed_params().contains(&given.as_str()) {
                let allowed = preset.allowed_params().join("`, `");
                let message = format!("not a parameter of `{}` (use `{allowed}`)", preset.name());
                return Err(param_error(given, message));
            }
        }
        if let Some(channels) = params.get("channels").filter(|c| !template::is_template(c)) {
            parse_channels(preset, channels).map_err(|m| param_error("channels", m))?;
        }
        let mut compiled = CompiledStrings::default();
        let defaults = [
            ("email", "{{ customer.email }}"),
            ("profile_id", "{{ customer.klaviyo_id }}"),
            ("phone_number", "{{ customer.phone_number }}"),
            ("channels", "email"),
        ];
        for (param, source) in params.iter().map(|(k, v)| (k.as_str(), v.as_str())) {
            compiled
                .add(param, source)
                .map_err(|error| param_error(param, error.to_string()))?;
        }
        for (param, source) in defaults {
            let name = format!("default.{param}");
            compiled
                .add(&name, source)
                .map_err(|error| param_error(param, error.to_string()))?;
        }
        let revision = auth.revision.as_deref().unwrap_or(DEFAULT_REVISION);
        let mut headers = auth.headers.clone();
        let revision = HeaderValue::from_str(revision)
            .map_err(|_| param_error("revision", "not a valid header value".into()))?;
        headers.push((HeaderName::from_static("revision"), revision));
        headers.push((ACCEPT, HeaderValue::from_static(JSON_API)));
        headers.push((CONTENT_TYPE, HeaderValue::from_static(JSON_API)));
        let base_url = auth.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        Ok(Self {
            preset,
            params: compiled,
            base_url: base_url.trim_end_matches('/').to_owned(),
            headers,
        })
    }

    /// Klaviyo's own limit for the preset's endpoint (klaviyo-api.md §2), with the key of
    /// the endpoint group that shares it.
    pub fn default_limit(preset: Preset) -> (&'static str, RateLimit) {
        let (key, per_second, per_minute) = match preset {
            Preset::KlaviyoCreateProfile => ("profiles", 75, 750),
            Preset::KlaviyoAddToList | Preset::KlaviyoRemoveFromList => {
                ("list-relationships", 10, 150)
            }
            Preset::KlaviyoSubscribe | Preset::KlaviyoUnsubscribe => ("subscription-jobs", 75, 750),
        };
        let limit = RateLimit {
            per_second: Some(per_second),
            per_minute: Some(per_minute),
            concurrency: Some(8),
        };
        (key, limit)
    }

    /// The JSON pointer of the item array in this preset's request body: where Klaviyo's
    /// errors point (`/data/3/id`) when they concern one profile of a batch.
    pub fn item_pointer(&self) -> Option<&'static str> {
        match self.preset {
            Preset::KlaviyoCreateProfile => None,
            Preset::KlaviyoAddToList | Preset::KlaviyoRemoveFromList => Some("/data"),
            Preset::KlaviyoSubscribe | Preset::KlaviyoUnsubscribe => {
                Some("/data/attributes/profiles/data")
            }
        }
    }

    /// Renders the request-level parameters and this customer's profile entry.
    pub fn prepare_item(&self, context: &Value) -> Result<PreparedItem, ItemError> {
        let render = |param: &str, use_default: bool| -> Result<Option<String>, ItemError> {
            let rendered = self.params.render(param, context).or_else(|| {
                use_default
                    .then(|| self.params.render(&format!("default.{param}"), context))
                    .flatten()
            });
            rendered
                .transpose()
                .map_err(|error| ItemError::new(format!("with.{param}"), error.to_string()))
        };
        let required = |param: &str| -> Result<String, ItemError> {
            let value = render(param, true)?.unwrap_or_default();
            if value.trim().is_empty() {
                return Err(ItemError::new(format!("with.{param}"), "renders empty"));
            }
            Ok(value)
        };
        let mut group = BTreeMap::new();
        for param in ["list_id", "custom_source"] {
            if let Some(value) = render(param, false)?.filter(|v| !v.is_empty()) {
                group.insert(param.to_owned(), value);
            }
        }
        let item = match self.preset {
            Preset::KlaviyoCreateProfile => {
                let mut attributes = Map::new();
                attributes.insert("email".into(), required("email")?.into());
                for param in ["external_id", "first_name", "last_name", "phone_number"] {
                    if let Some(value) = render(param, false)? {
                        attributes.insert(param.into(), value.into());
                    }
                }
                serde_json::Value::Object(attributes)
            }
            Preset::KlaviyoAddToList | Preset::KlaviyoRemoveFromList => {
                // Only the id: `build` writes the `{"type":"profile","id":…}` around it,
                // which spares building a JSON object per customer.
                serde_json::Value::String(required("profile_id")?)
            }
            Preset::KlaviyoSubscribe | Preset::KlaviyoUnsubscribe => {
                let channels = render("channels", true)?.unwrap_or_default();
                let channels = parse_channels(self.preset, &channels)
                    .map_err(|message| ItemError::new("with.channels", message))?;
                let mut attributes = Map::new();
                attributes.insert("email".into(), required("email")?.into());
                if channels.sms {
                    let phone = required("phone_number")?;
                    attributes.insert("phone_number".into(), phone.into());
                }
                attributes.insert("subscriptions".into(), subscriptions(self.preset, channels));
                json!({ "type": "profile", "attributes": attributes })
            }
        };
        Ok(PreparedItem { group, item })
    }

    /// The request for a batch of items that share `group`.
    pub fn build(
        &self,
        group: &BTreeMap<String, String>,
        items: Vec<serde_json::Value>,
    ) -> Prepared {
        let list = group.get("list_id");
        let list_relationship =
            || list.map(|id| json!({ "list": { "data": { "type": "list", "id": id } } }));
        let (method, path, body) = match self.preset {
            Preset::KlaviyoCreateProfile => {
                let attributes = items.into_iter().next().unwrap_or_default();
                let body = json!({ "data": { "type": "profile", "attributes": attributes } });
                (Method::POST, "/api/profiles".to_owned(), body)
            }
            Preset::KlaviyoAddToList | Preset::KlaviyoRemoveFromList => {
                let method = if self.preset == Preset::KlaviyoAddToList {
                    Method::POST
                } else {
                    Method::DELETE
                };
                let id = encode_segment(list.map(String::as_str).unwrap_or_default());
                let path = format!("/api/lists/{id}/relationships/profiles");
                return self.prepared(method, &path, profile_list(&items));
            }
            Preset::KlaviyoSubscribe => {
                let mut attributes = Map::new();
                if let Some(source) = group.get("custom_source") {
                    attributes.insert("custom_source".into(), source.clone().into());
                }
                attributes.insert("historical_import".into(), false.into());
                attributes.insert("profiles".into(), json!({ "data": items }));
                let body = job(
                    "profile-subscription-bulk-create-job",
                    attributes,
                    list_relationship(),
                );
                (
                    Method::POST,
                    "/api/profile-subscription-bulk-create-jobs".to_owned(),
                    body,
                )
            }
            Preset::KlaviyoUnsubscribe => {
                let mut attributes = Map::new();
                attributes.insert("profiles".into(), json!({ "data": items }));
                let body = job(
                    "profile-subscription-bulk-delete-job",
                    attributes,
                    list_relationship(),
                );
                (
                    Method::POST,
                    "/api/profile-subscription-bulk-delete-jobs".to_owned(),
                    body,
                )
            }
        };
        self.prepared(method, &path, serde_json::to_vec(&body).unwrap_or_default())
    }

    fn prepared(&self, method: Method, path: &str, body: Vec<u8>) -> Prepared {
        Prepared {
            method,
            url: format!("{}{path}", self.base_url),
            headers: self.headers.clone(),
            body: Some(body),
        }
    }
}

/// `{"data":[{"type":"profile","id":…},…]}` for profile ids given as JSON strings.
fn profile_list(ids: &[serde_json::Value]) -> Vec<u8> {
    let mut body = Vec::with_capacity(16 + ids.len() * 56);
    body.extend_from_slice(b"{\"data\":[");
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(b"{\"type\":\"profile\",\"id\":");
        // Writing a JSON value into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut body, id);
        body.push(b'}');
    }
    body.extend_from_slice(b"]}");
    body
}

/// For `klaviyo.create_profile`: the profile id in a 2xx answer, or the existing profile's
/// id in a 409 `duplicate_profile` answer.
pub fn profile_id(status: u16, body: &[u8]) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(body).ok()?;
    let id = match status {
        200..=299 => body.pointer("/data/id"),
        409 => body
            .get("errors")?
            .as_array()?
            .iter()
            .find_map(|error| error.pointer("/meta/duplicate_profile_id")),
        _ => None,
    };
    id?.as_str().map(str::to_owned)
}

/// A short reason from a Klaviyo (or any JSON:API) error body, else the body's start.
pub fn error_summary(body: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let first = parsed.as_ref().and_then(|b| b.pointer("/errors/0"));
    if let Some(error) = first {
        let text = |key: &str| error.get(key).and_then(|v| v.as_str()).unwrap_or("");
        return format!("{} {} {}", text("code"), text("title"), text("detail"))
            .trim()
            .to_owned();
    }
    String::from_utf8_lossy(body).chars().take(200).collect()
}

fn job(
    kind: &str,
    attributes: Map<String, serde_json::Value>,
    list: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut data = Map::new();
    data.insert("type".into(), kind.into());
    data.insert("attributes".into(), attributes.into());
    if let Some(list) = list {
        data.insert("relationships".into(), list);
    }
    json!({ "data": data })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Channels {
    email: bool,
    sms: bool,
}

fn parse_channels(preset: Preset, text: &str) -> Result<Channels, String> {
    let mut channels = Channels {
        email: false,
        sms: false,
    };
    for channel in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        match channel {
            "email" => channels.email = true,
            "sms" => channels.sms = true,
            other => {
                return Err(format!(
                    "unknown channel `{other}` for `{}` (use `email`, `sms` or `email,sms`)",
                    preset.name()
                ))
            }
        }
    }
    if !channels.email && !channels.sms {
        return Err("names no channel (use `email`, `sms` or `email,sms`)".to_owned());
    }
    Ok(channels)
}

fn subscriptions(preset: Preset, channels: Channels) -> serde_json::Value {
    let consent = if preset == Preset::KlaviyoSubscribe {
        "SUBSCRIBED"
    } else {
        "UNSUBSCRIBED"
    };
    let mut subscriptions = Map::new();
    if channels.email {
        subscriptions.insert(
            "email".into(),
            json!({ "marketing": { "consent": consent } }),
        );
    }
    if channels.sms {
        subscriptions.insert("sms".into(), json!({ "marketing": { "consent": consent } }));
    }
    subscriptions.into()
}

/// Percent-encodes a path segment (ids are plain, but a template could render anything).
fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_profile_ids_and_error_summaries() {
        let created = br#"{"data":{"type":"profile","id":"01GDDKASAP8TKDDA2GRZDSVP4H"}}"#;
        assert_eq!(
            profile_id(201, created).as_deref(),
            Some("01GDDKASAP8TKDDA2GRZDSVP4H")
        );
        let duplicate = br#"{"errors":[{"id":"x","status":409,"code":"duplicate_profile",
            "title":"Conflict.","detail":"A profile already exists with one of these identifiers.",
            "meta":{"duplicate_profile_id":"01HDUP"}}]}"#;
        assert_eq!(profile_id(409, duplicate).as_deref(), Some("01HDUP"));
        assert_eq!(profile_id(400, duplicate), None);
        assert_eq!(
            error_summary(duplicate),
            "duplicate_profile Conflict. A profile already exists with one of these identifiers."
        );
        assert_eq!(
            error_summary(b"<html>blocked</html>"),
            "<html>blocked</html>"
        );
        assert_eq!(encode_segment("Y6n R/x"), "Y6n%20R%2Fx");
        let body = profile_list(&[json!("01A"), json!("q\"x")]);
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            parsed,
            json!({"data": [{"type": "profile", "id": "01A"}, {"type": "profile", "id": "q\"x"}]})
        );
    }

    #[test]
    fn channels_are_checked() {
        assert!(
            parse_channels(Preset::KlaviyoSubscribe, "email, sms")
                .unwrap()
                .sms
        );
        let error = parse_channels(Preset::KlaviyoUnsubscribe, "fax").unwrap_err();
        assert!(error.contains("unknown channel `fax` for `klaviyo.unsubscribe`"));
    }
}
