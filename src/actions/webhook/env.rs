//! What every webhook action of a process shares: the HTTP client, the rate limiters,
//! the project's auth schemas and where relative secret files resolve.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::actions::rate_limiter::RateLimiters;
use crate::project::AuthSchema;

/// Shared by all webhook actions of one process; cheap to clone.
#[derive(Debug, Clone)]
pub struct WebhookEnv {
    /// Pooled HTTP client (connect timeout set; each request sets its own total timeout).
    pub client: reqwest::Client,
    /// Rate limiters shared by every node that uses the same auth schema.
    pub limiters: RateLimiters,
    /// The project's auth schemas, by name.
    pub auth: BTreeMap<String, AuthSchema>,
    /// Folder that relative secret files resolve against (the project folder).
    pub project_root: PathBuf,
}

impl WebhookEnv {
    /// A client with a 10 s connect timeout and fresh limiters.
    pub fn new(
        auth: BTreeMap<String, AuthSchema>,
        project_root: PathBuf,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("warmup/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            limiters: RateLimiters::new(),
            auth,
            project_root,
        })
    }
}
