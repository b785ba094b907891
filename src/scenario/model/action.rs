use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::NodeId;
use crate::project::RateLimit;

/// Calls an HTTP endpoint for each customer, or for batches of customers.
///
/// Either a `preset` (with its parameters in `with`) or `url` (with `method`, `headers`,
/// `body`). Every string is a minijinja template over `customer`, `event`, `params`,
/// `run`, `day`, `now`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookNode {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A ready-made request with Klaviyo-correct method, path, headers and body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// Parameters of the preset, e.g. `list_id: "{{ params.exclusion_list_id }}"`.
    #[serde(default, rename = "with")]
    pub with: BTreeMap<String, String>,
    /// HTTP method. Default `POST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HttpMethod>,
    /// URL template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Header templates.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body template: a string, or a YAML value whose strings are templates (sent as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Name of an auth schema of the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// Send up to `size` customers per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<Batch>,
    /// Retry policy for 408/429/5xx, timeouts and connection errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
    /// Rate limit of this node (in addition to its auth schema's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Total time one attempt may take, e.g. `30s`. Default `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Node the customer enters after a successful call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NodeId>,
    /// Node the customer enters when the call failed for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<NodeId>,
}

/// Ready-made Klaviyo requests (see the README for each one's parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum Preset {
    /// `POST /api/profiles`; a 409 duplicate counts as done.
    #[serde(rename = "klaviyo.create_profile")]
    KlaviyoCreateProfile,
    /// `POST /api/lists/{list_id}/relationships/profiles`, up to 1000 profiles per call.
    #[serde(rename = "klaviyo.add_to_list")]
    KlaviyoAddToList,
    /// `DELETE /api/lists/{list_id}/relationships/profiles`, up to 1000 profiles per call.
    #[serde(rename = "klaviyo.remove_from_list")]
    KlaviyoRemoveFromList,
    /// `POST /api/profile-subscription-bulk-create-jobs`, up to 1000 profiles per job.
    #[serde(rename = "klaviyo.subscribe")]
    KlaviyoSubscribe,
    /// `POST /api/profile-subscription-bulk-delete-jobs`, up to 100 profiles per job.
    #[serde(rename = "klaviyo.unsubscribe")]
    KlaviyoUnsubscribe,
}

impl Preset {
    /// The name as written.
    pub fn name(self) -> &'static str {
        match self {
            Preset::KlaviyoCreateProfile => "klaviyo.create_profile",
            Preset::KlaviyoAddToList => "klaviyo.add_to_list",
            Preset::KlaviyoRemoveFromList => "klaviyo.remove_from_list",
            Preset::KlaviyoSubscribe => "klaviyo.subscribe",
            Preset::KlaviyoUnsubscribe => "klaviyo.unsubscribe",
        }
    }

    /// Most customers one request may carry.
    pub fn max_batch(self) -> usize {
        match self {
            Preset::KlaviyoCreateProfile => 1,
            Preset::KlaviyoAddToList | Preset::KlaviyoRemoveFromList | Preset::KlaviyoSubscribe => {
                1000
            }
            Preset::KlaviyoUnsubscribe => 100,
        }
    }

    /// The `with` parameters the preset requires.
    pub fn required_params(self) -> &'static [&'static str] {
        match self {
            Preset::KlaviyoCreateProfile => &[],
            Preset::KlaviyoAddToList | Preset::KlaviyoRemoveFromList => &["list_id"],
            Preset::KlaviyoSubscribe | Preset::KlaviyoUnsubscribe => &[],
        }
    }

    /// The `with` parameters the preset accepts.
    pub fn allowed_params(self) -> &'static [&'static str] {
        match self {
            Preset::KlaviyoCreateProfile => {
                &["external_id", "first_name", "last_name", "phone_number"]
            }
            Preset::KlaviyoAddToList | Preset::KlaviyoRemoveFromList => &["list_id", "profile_id"],
            Preset::KlaviyoSubscribe => &["list_id", "custom_source", "channels"],
            Preset::KlaviyoUnsubscribe => &["list_id", "channels"],
        }
    }
}

/// HTTP method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET
    Get,
    /// POST
    #[default]
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

/// Batch mode: one request carries up to `size` customers.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// Most customers per request (presets cap it: 1000 list/subscribe, 100 unsubscribe).
    pub size: usize,
    /// Template of one customer's item; the rendered items are available to `body` as `items`.
    /// Presets bring their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<serde_json::Value>,
}

/// Retry policy.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Attempts in all, the first included. Default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// First backoff, e.g. `500ms`; doubles each attempt, with jitter. Default `500ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_backoff: Option<String>,
    /// Longest single backoff. Default `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_backoff: Option<String>,
    /// Give up once this much time has passed since the first attempt. Default `5m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_elapsed: Option<String>,
}

/// Sends an e-mail rendered from a template folder through the project's transport, and
/// records a `campaign` event (`delivered` or `failed`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailNode {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Template folder name under the project's templates folder; a minijinja template
    /// (e.g. `"day-{{ day }}"`).
    pub template: String,
    /// Sender, overriding the project's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Reply-To, overriding the project's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Extra header templates.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Consent category the unsubscribe link rejects; default: the project's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Node the customer enters after the message was accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NodeId>,
    /// When the engine gets to this e-mail later than it was due: how late it may still go
    /// out. Default: while it is still the local day it was due on; after that it is skipped
    /// and counted as `late_skipped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<super::LatePolicy>,
    /// Node the customer enters when sending failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<NodeId>,
}
