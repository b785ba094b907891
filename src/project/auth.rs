use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SecretSource;

/// An HTTP auth schema: headers added to every webhook request that names it.
///
/// Header values are minijinja templates; `{{ secret }}` renders the secret, which
/// is redacted from every log line, error and status output.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthSchema {
    /// Where the secret comes from.
    pub secret: SecretSource,
    /// Headers to add, e.g. `Authorization: "Klaviyo-API-Key {{ secret }}"`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Base URL that preset paths are joined to (Klaviyo: `https://a.klaviyo.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Klaviyo API revision sent as the `revision` header by the Klaviyo presets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Client-side rate limit for all requests using this schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

/// A client-side rate limit: fixed one-second and one-minute windows plus a concurrency bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests per second at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_second: Option<u32>,
    /// Requests per minute at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_minute: Option<u32>,
    /// Requests in flight at once at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
}
