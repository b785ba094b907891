//! Side effects of scenario nodes: webhooks (with Klaviyo presets) and e-mail.
//!
//! The engine resolves everything run-specific (the customer, the template context, the
//! run) and hands it here; this module turns it into requests and messages, applies rate
//! limits and retries, and reports one outcome per customer. It keeps no ledger: the
//! engine records outcomes (see the README's "Actions" section for the delivery rules).

pub mod duration;
pub mod email;
mod error_chain;
pub mod rate_limiter;
pub mod retry_policy;
pub mod unsubscribe_token;
pub mod webhook;

pub use duration::{parse_duration, DurationError};
pub use email::{EmailAction, EmailError, EmailOutcome, EmailTransport};

pub use rate_limiter::{RateLimiter, RateLimiters};
pub use retry_policy::RetryPolicy;
pub use unsubscribe_token::{Claims, TokenError};
pub use webhook::{
    ItemKey, WebhookAction, WebhookConfigError, WebhookEnv, WebhookItem, WebhookOutcome,
};
