use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SecretSource;

/// The Klaviyo integration.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KlaviyoConfig {
    /// Private API key (`pk_…`).
    pub api_key: SecretSource,
    /// API base URL. Default `https://a.klaviyo.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// API revision sent with every call. Default `2026-07-15`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Klaviyo profile field to customer property, e.g. `phone_number: klaviyo_phone`.
    /// Custom properties are addressed as `properties.NAME`.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Klaviyo list id to consent category: joining the list accepts the category,
    /// leaving it rejects it.
    #[serde(default)]
    pub lists: BTreeMap<String, String>,
    /// Klaviyo lists and segments whose membership the sync keeps on each customer (as
    /// `klaviyo_lists` / `klaviyo_segments`), for the `klaviyo_list` / `klaviyo_segment`
    /// predicates.
    #[serde(default, skip_serializing_if = "Memberships::is_empty")]
    pub memberships: Memberships,
    /// How often `warmup run` syncs.
    #[serde(default)]
    pub sync: SyncIntervals,
}

/// Klaviyo groups whose members the sync records: new members with the events (incremental,
/// by `joined_group_at`), every member with the reconciliation (which also sees removals).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Memberships {
    /// List ids, e.g. the exclusion list `XyZ123`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<String>,
    /// Segment ids, e.g. the id of "Engaged (90 Days)".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<String>,
}

impl Memberships {
    /// Whether no group is named.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty() && self.segments.is_empty()
    }
}

/// Sync schedule, as durations like `24h`, `2h`, `1m`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncIntervals {
    /// Profiles. Default `24h`; at least `1m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiles: Option<String>,
    /// Consent and campaign events. Default `2h`; at least `1m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<String>,
    /// List-membership reconciliation. Default `24h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile: Option<String>,
}
