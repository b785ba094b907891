use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{RateLimit, SecretSource};

/// E-mail sending: transport, sender identity, templates and unsubscribe links.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// How messages leave: an SMTP server or an outbox folder of `.eml` files.
    pub transport: Transport,
    /// Sender address, e.g. `"Brand <news@brand.example>"`.
    pub from: String,
    /// Reply-To address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Folder of e-mail templates, relative to the project. Each template is a folder
    /// `NAME/` with `subject.txt`, `body.html` and `body.txt` (minijinja). Default `templates`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<PathBuf>,
    /// Unsubscribe links added to every message (RFC 8058 one-click).
    pub unsubscribe: UnsubscribeConfig,
    /// Sending rate limit of the transport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Extra headers on every message (minijinja templates).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// Where messages go.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Transport {
    /// An SMTP server.
    Smtp {
        /// Host name or address.
        host: String,
        /// Port. Default: 465 for `implicit`, 587 for `starttls`, 25 for `none`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        /// TLS mode.
        #[serde(default)]
        tls: SmtpTls,
        /// User name for SMTP AUTH.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// Password for SMTP AUTH.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<SecretSource>,
        /// Seconds to wait for the server. Default 30.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_seconds: Option<u64>,
        /// A PEM file of extra root certificates to trust, on top of the usual public ones:
        /// for a server whose certificate comes from a private CA, or a test server. Relative
        /// to the project. Used by `implicit` and `starttls`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ca_file: Option<PathBuf>,
    },
    /// A folder that receives one `.eml` file per message.
    Outbox {
        /// The folder, relative to the project.
        dir: PathBuf,
    },
}

/// TLS mode of an SMTP connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// TLS from the first byte (port 465).
    #[default]
    Implicit,
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// No TLS (loopback relays and tests only).
    None,
}

/// Unsubscribe links: a signed https link and a mailto address.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeConfig {
    /// Public base URL of the warmup HTTP server, e.g. `https://mail.brand.example`.
    pub base_url: String,
    /// Mailbox for `mailto:` unsubscribes, e.g. `unsubscribe@brand.example`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailto: Option<String>,
    /// Key that signs unsubscribe tokens (HMAC-SHA256).
    pub signing_key: SecretSource,
    /// Consent category an unsubscribe rejects, unless the e-mail node names one.
    pub category: String,
}
