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
    /// How long a client may take to send a request's headers, and how long an idle
    /// keep-alive connection stays open, e.g. `10s`. Default `10s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_read_timeout: Option<String>,
    /// Longest pause while a request body arrives, e.g. `30s`; a stalled upload gets 408.
    /// Default `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_read_timeout: Option<String>,
    /// Longest time from a request's headers to its answer, e.g. `60s`; beyond it the
    /// answer is 408. Default `60s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout: Option<String>,
    /// Most connections open at once; further clients wait until one closes. Default 512,
    /// and never more than the process's open-file limit allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
    /// How long SIGINT/SIGTERM waits for requests in flight before closing their
    /// connections, e.g. `10s`. Default `10s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown_timeout: Option<String>,
}
