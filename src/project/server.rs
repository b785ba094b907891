use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SecretSource;

/// The HTTP server of `warmup run`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on. Default `127.0.0.1:8080`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    /// Bearer tokens accepted by the ingest API.
    #[serde(default)]
    pub tokens: Vec<SecretSource>,
    /// Largest request body accepted, in bytes. Default 10 MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<usize>,
}
