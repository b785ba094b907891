//! A typed Klaviyo REST client over reqwest (rustls): JSON:API documents, cursor pagination
//! following `links.next`, pacing by the `RateLimit-*` headers, retries with exponential
//! backoff and jitter on 429 (honouring `Retry-After`), 5xx and connection errors, and clear
//! errors for non-JSON bodies and bad keys. The key never appears in an error or log.

mod api;
#[allow(clippy::module_inception)]
mod client;
mod error;
mod model;
mod pacer;
mod pages;
mod retry;

pub use api::{filter_time, MEMBERSHIP_BATCH, SUBSCRIBE_BATCH, UNSUBSCRIBE_BATCH};
pub use client::{Answer, ClientStats, KlaviyoClient, DEFAULT_BASE_URL, DEFAULT_REVISION};
pub use error::KlaviyoError;
pub use model::{
    Channel, EventAttributes, Identifier, KlaviyoEvent, KlaviyoList, KlaviyoMetric, KlaviyoProfile,
    ListAttributes, Marketing, MetricAttributes, Page, ProfileAttributes, Resource, Subscriptions,
    SuppressionEntry,
};
pub use pages::Pages;
pub use retry::RetryPolicy;
