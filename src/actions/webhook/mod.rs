//! The webhook action: templated HTTP calls, alone or batched, with auth schemas,
//! Klaviyo presets, client-side rate limits and retries.

mod action;
mod auth;
mod call_error;
mod compiled;
mod config_error;
mod custom;
mod env;
mod isolate;
mod json_template;
mod klaviyo;
mod limits;
mod outcome;
mod prepared;

pub use action::WebhookAction;
pub use config_error::WebhookConfigError;
pub use env::WebhookEnv;
pub use klaviyo::{DEFAULT_BASE_URL as KLAVIYO_BASE_URL, DEFAULT_REVISION as KLAVIYO_REVISION};
pub use outcome::WebhookOutcome;

/// Identifies the customer an item belongs to (the customer id), so outcomes can be
/// matched to tokens.
pub type ItemKey = String;

/// One customer's share of a webhook call: its key and its template context
/// (`customer`, `event`, `params`, `run`, `day`, `now`).
#[derive(Debug, Clone)]
pub struct WebhookItem {
    /// The customer id.
    pub key: ItemKey,
    /// The minijinja context the node's templates render against.
    pub context: minijinja::Value,
}
