//! The project file, `warmup.yaml`: everything that is shared by all scenarios
//! of one brand — store location, time zone, consent categories, segments,
//! mailbox-provider groups, HTTP auth schemas, email transport, the Klaviyo
//! integration and the HTTP server.
//!
//! [`ProjectFile`] is the file as written (serde, `deny_unknown_fields`, every
//! field documented so the JSON Schema can describe it). [`Project`] is the
//! loaded file together with the directory it was found in, so relative paths
//! resolve against the project rather than the working directory.

mod auth;
mod email;
mod klaviyo;
mod load;
mod providers;
mod secret;
mod server;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use auth::{AuthSchema, RateLimit};
pub use email::{EmailConfig, SmtpTls, Transport, UnsubscribeConfig};
pub use klaviyo::{KlaviyoConfig, Memberships, SyncIntervals};
pub use load::{Project, ProjectError, PROJECT_FILE_NAME};
pub use providers::{default_mailbox_providers, mailbox_provider_of, OTHER_PROVIDER};
pub use secret::{Secret, SecretError, SecretSource};
pub use server::ServerConfig;

/// The project file (`warmup.yaml`) as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// Folder of the embedded store, relative to the project file. Default `.warmup`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<PathBuf>,

    /// IANA time zone of the project, e.g. `Europe/Prague`. Scenarios may override it.
    #[schemars(example = "Europe/Prague")]
    pub timezone: String,

    /// Folders or files holding the scenarios, relative to the project file. Default `scenarios`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<PathBuf>,

    /// Consent categories by name (e.g. `newsletter`). Conditions, `on_event` filters and
    /// unsubscribe links refer to these names.
    #[serde(default)]
    pub consent_categories: BTreeMap<String, ConsentCategory>,

    /// Named segments: predicates over a customer that scenarios use with `segment: NAME`.
    #[serde(default)]
    pub segments: BTreeMap<String, crate::scenario::model::Predicate>,

    /// Mailbox-provider groups: group name to the e-mail domains it covers. A customer whose
    /// domain is in no group belongs to `other`. Default: gmail, microsoft, yahoo, apple, other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox_providers: Option<BTreeMap<String, Vec<String>>>,

    /// HTTP auth schemas for webhooks, by name. Secrets come from the environment or a file.
    #[serde(default)]
    pub auth: BTreeMap<String, AuthSchema>,

    /// E-mail sending: transport, sender identity, templates and unsubscribe links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailConfig>,

    /// The Klaviyo integration: API key, revision, property and list mapping, sync schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub klaviyo: Option<KlaviyoConfig>,

    /// The HTTP server of `warmup run`: bind address and API tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerConfig>,

    /// CSV import settings.
    #[serde(default)]
    pub import: ImportConfig,
}

/// One consent category.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentCategory {
    /// What the customer agrees to, shown on the unsubscribe page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// CSV import settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportConfig {
    /// CSV column name to customer property name, e.g. `Phone Number: klaviyo_phone`.
    /// Columns not listed keep a property name derived from the header (`Last Open` → `last_open`).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,

    /// Consent category that the `Email Marketing Consent` column feeds. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_category: Option<String>,
}

impl ProjectFile {
    /// The store folder, relative to `root` unless absolute.
    pub fn store_dir(&self, root: &Path) -> PathBuf {
        root.join(
            self.store
                .clone()
                .unwrap_or_else(|| PathBuf::from(".warmup")),
        )
    }
}
