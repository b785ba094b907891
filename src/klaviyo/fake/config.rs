//! How a fake Klaviyo account is set up.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::rate_limit::RateLimits;

/// When accepted subscription jobs take effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobMode {
    /// Applied before the 202 is sent.
    Immediate,
    /// Applied by a background task after this delay, like Klaviyo's asynchronous jobs.
    Delayed(Duration),
    /// Kept until the test calls [`FakeKlaviyo::apply_pending_jobs`](super::FakeKlaviyo::apply_pending_jobs).
    Manual,
}

/// Configuration of a fake account.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// The private key the fake accepts (`Klaviyo-API-Key <key>`).
    pub api_key: String,
    /// A seed file to load the account from instead of generating it (then `seed`,
    /// `profiles`, `campaign_events_per_profile` and `now` are not used).
    pub seed_file: Option<PathBuf>,
    /// Seed of the deterministic generator.
    pub seed: u64,
    /// Generated profiles.
    pub profiles: usize,
    /// Average generated campaign events per profile (last 60 days).
    pub campaign_events_per_profile: f64,
    /// "Now" of the generated history; events lie before it.
    pub now: DateTime<Utc>,
    /// Rate limits (default: Klaviyo's real tiers).
    pub rate_limits: RateLimits,
    /// When subscription jobs take effect.
    pub jobs: JobMode,
    /// Base of the absolute URLs in `links` (default: the address the fake listens on).
    pub public_base_url: Option<String>,
    /// Answer this many of the next requests with 500 (tests of retries).
    pub fail_first: u32,
}

/// The key a fake accepts unless configured otherwise.
pub const DEFAULT_FAKE_KEY: &str = "pk_fake0000000000000000000000000000000";

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_FAKE_KEY.to_owned(),
            seed_file: None,
            seed: 1,
            profiles: 100,
            campaign_events_per_profile: 4.0,
            now: Utc::now(),
            rate_limits: RateLimits::real(),
            jobs: JobMode::Immediate,
            public_base_url: None,
            fail_first: 0,
        }
    }
}

impl FakeConfig {
    /// A config with `profiles` generated profiles and otherwise defaults.
    pub fn with_profiles(profiles: usize) -> Self {
        Self {
            profiles,
            ..Self::default()
        }
    }

    /// A config whose account is loaded from a seed file, otherwise defaults.
    pub fn from_seed_file(path: impl Into<PathBuf>) -> Self {
        Self {
            seed_file: Some(path.into()),
            ..Self::default()
        }
    }
}
