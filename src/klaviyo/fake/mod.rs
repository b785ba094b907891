//! A fake Klaviyo account served over HTTP, faithful to the parts of Klaviyo's REST API that
//! warmup and Klaviyo's own SDKs use (see `klaviyo-api.md`): auth and revision checks,
//! JSON:API documents, cursor pagination, filters, profiles, lists, subscription jobs,
//! metrics, events and per-tier rate limits. Tests and the demo start it in-process
//! ([`FakeKlaviyo::start`]); `warmup klaviyo-fake` serves it from the command line.

mod config;
mod errors;
pub mod file;
mod filter;
mod guard;
mod model;
mod pagination;
mod rate_limit;
mod render;
mod routes;
mod seed;
mod segments;
mod server;
mod state;

pub use config::{FakeConfig, JobMode, DEFAULT_FAKE_KEY};
pub use errors::{ApiError, JSON_API};
pub use file::{SeedFile, SeedFileError, SeedFormat};
pub use model::{
    ChannelConsent, Consent, List, Metric, OptInProcess, Profile, Segment, Suppression,
};
pub use rate_limit::{RateLimits, Tier, TierLimits};
pub use seed::{EXCLUSION_LIST, NEWSLETTER_LIST, SMS_LIST, VIP_LIST};
pub use segments::ENGAGED_90_SEGMENT;
pub use server::{FakeKlaviyo, StartError};
pub use state::FakeState;
