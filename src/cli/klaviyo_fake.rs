//! `warmup klaviyo-fake`: serve a generated fake Klaviyo account, or one from a seed file,
//! until Ctrl-C (or SIGTERM); `--dump-state` then saves the account as a seed file.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::InvalidInput;
use crate::klaviyo::fake::{
    FakeConfig, FakeKlaviyo, JobMode, RateLimits, SeedFormat, StartError, Tier, TierLimits,
};

/// Serve a fake Klaviyo API (a generated, deterministic account, or one from a seed file) for
/// demos and tests.
#[derive(Debug, clap::Args)]
pub struct KlaviyoFakeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seed of the generated account.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of generated profiles.
    #[arg(long, default_value_t = 1000)]
    pub profiles: usize,
    /// Average campaign events per profile (last 60 days).
    #[arg(long, default_value_t = 4.0)]
    pub events_per_profile: f64,
    /// Load the account from this seed file (.json, .yaml or .yml) instead of generating it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["seed", "profiles", "events_per_profile"])]
    pub seed_file: Option<PathBuf>,
    /// On shutdown, write the account as it is then to this seed file (.json, .yaml or .yml).
    #[arg(long, value_name = "FILE")]
    pub dump_state: Option<PathBuf>,
    /// `real` (Klaviyo's tiers) or `off`.
    #[arg(long, default_value = "real")]
    pub rate_limits: String,
    /// Override a tier, e.g. `--tier L=5/60` (burst per second / steady per minute).
    #[arg(long = "tier")]
    pub tiers: Vec<String>,
    /// Environment variable holding the API key to accept; unset: the fake's default key.
    #[arg(long, default_value = "KLAVIYO_API_KEY")]
    pub api_key_env: String,
    /// Apply subscription jobs after this many milliseconds (0: at once).
    #[arg(long, default_value_t = 0)]
    pub job_delay_ms: u64,
}

fn parse_tier(text: &str) -> Result<(Tier, TierLimits), InvalidInput> {
    let bad = || {
        InvalidInput::new(format!(
            "--tier `{text}`: expected NAME=BURST/STEADY, e.g. L=75/750"
        ))
    };
    let (name, limits) = text.split_once('=').ok_or_else(bad)?;
    let tier: Tier = name
        .parse()
        .map_err(|e: String| InvalidInput::new(format!("--tier: {e}")))?;
    let (burst, steady) = limits.split_once('/').ok_or_else(bad)?;
    let burst = burst.trim().parse().map_err(|_| bad())?;
    let steady = steady.trim().parse().map_err(|_| bad())?;
    Ok((tier, TierLimits { burst, steady }))
}

/// The fake's configuration from the arguments.
pub fn config(args: &KlaviyoFakeArgs) -> anyhow::Result<FakeConfig> {
    let mut limits = match args.rate_limits.as_str() {
        "real" => RateLimits::real(),
        "off" => RateLimits::off(),
        other => {
            return Err(InvalidInput::new(format!(
                "--rate-limits `{other}`: expected `real` or `off`"
            ))
            .into())
        }
    };
    for text in &args.tiers {
        let (tier, tier_limits) = parse_tier(text)?;
        limits = limits.with_tier(tier, tier_limits);
    }
    if let Some(path) = &args.dump_state {
        SeedFormat::of(path).map_err(|e| InvalidInput::new(format!("--dump-state: {e}")))?;
    }
    let mut config = FakeConfig {
        seed_file: args.seed_file.clone(),
        seed: args.seed,
        profiles: args.profiles,
        campaign_events_per_profile: args.events_per_profile,
        rate_limits: limits,
        jobs: match args.job_delay_ms {
            0 => JobMode::Immediate,
            ms => JobMode::Delayed(Duration::from_millis(ms)),
        },
        ..FakeConfig::default()
    };
    if let Ok(key) = std::env::var(&args.api_key_env) {
        config.api_key = key;
    }
    Ok(config)
}

/// Runs the subcommand.
pub fn run(args: KlaviyoFakeArgs) -> anyhow::Result<()> {
    let config = config(&args)?;
    let custom_key = std::env::var(&args.api_key_env).is_ok();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
        let fake = match FakeKlaviyo::start_on(config, addr).await {
            Ok(fake) => fake,
            Err(StartError::SeedFile(e)) => return Err(InvalidInput::new(e.to_string()).into()),
            Err(e) => return Err(e.into()),
        };
        let (profiles, events) = {
            let state = fake.state();
            (state.profile_count(), state.event_count())
        };
        // Whoever started us may stop reading stdout; serving goes on regardless.
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "fake Klaviyo listening on {} ({profiles} profiles, {events} events)",
            fake.base_url()
        );
        let _ = if custom_key {
            writeln!(out, "accepting the API key from ${}", args.api_key_env)
        } else {
            writeln!(
                out,
                "accepting the default fake key (set ${} to choose one)",
                args.api_key_env
            )
        };
        let _ = out.flush();
        let token = CancellationToken::new();
        let stop = token.clone();
        tokio::spawn(async move {
            stopped().await;
            stop.cancel();
        });
        token.cancelled().await;
        fake.stop().await;
        if let Some(path) = &args.dump_state {
            fake.dump_state(path)?;
            let (profiles, events) = {
                let state = fake.state();
                (state.profile_count(), state.event_count())
            };
            let _ = writeln!(
                out,
                "account written to {} ({profiles} profiles, {events} events)",
                path.display()
            );
        }
        Ok(())
    })
}

/// Ctrl-C, or SIGTERM where there is one (how service managers and `kill` stop us).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
