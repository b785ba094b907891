//! Initial Klaviyo sync from the fake server (run as its own process, so the RSS measured
//! here is the sync's alone).
//!
//! ```sh
//! cargo bench --bench klaviyo_sync                          # 850,000 profiles, ~5,000,000 events, limits off
//! KLAVIYO_BENCH_PROFILES=20000 KLAVIYO_BENCH_TIERS=real cargo bench --bench klaviyo_sync
//! ```
//!
//! Environment: `KLAVIYO_BENCH_PROFILES` (default 850000), `KLAVIYO_BENCH_EVENTS` (total events
//! in the account, default 5000000), `KLAVIYO_BENCH_TIERS` (`off` or `real`),
//! `KLAVIYO_BENCH_SINK` (`count`: only the sync's own trees, default; `store`: the customer
//! store in a temporary folder).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use warmup::klaviyo::client::{KlaviyoClient, DEFAULT_REVISION};
use warmup::klaviyo::fake::{Tier, DEFAULT_FAKE_KEY, NEWSLETTER_LIST, SMS_LIST};
use warmup::klaviyo::sync::{
    CustomerHandle, CustomerSink, Mapping, SinkError, SyncOptions, SyncedCustomer, SyncedEvent,
    Syncer, Upserted,
};
use warmup::project::Secret;
use warmup::store::Store;

/// Consent-history events the generator makes per profile, on average (measured).
const CONSENT_EVENTS_PER_PROFILE: f64 = 1.06;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn vm_hwm_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// A sink that keeps the sync's own state in sled and only counts customers and events, to
/// measure the Klaviyo side of the sync without the customer store's writes.
struct CountingSink {
    db: sled::Db,
    customers: AtomicU64,
    events: AtomicU64,
}

impl CustomerSink for CountingSink {
    fn upsert_customer(&self, _: &SyncedCustomer) -> Result<(CustomerHandle, Upserted), SinkError> {
        Ok((
            self.customers.fetch_add(1, Ordering::Relaxed),
            Upserted::Created,
        ))
    }
    fn record_events(&self, events: &[(CustomerHandle, SyncedEvent)]) -> Result<(), SinkError> {
        self.events
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        Ok(())
    }
    fn tree(&self, name: &str) -> Result<sled::Tree, SinkError> {
        self.db
            .open_tree(name)
            .map_err(|e| SinkError::Store(e.to_string()))
    }
    fn flush(&self) -> Result<(), SinkError> {
        self.db
            .flush()
            .map(drop)
            .map_err(|e| SinkError::Store(e.to_string()))
    }
}

/// Starts `warmup klaviyo-fake` and returns it with its base URL and account size line.
fn start_fake(profiles: u64, events: u64, tiers: &str) -> (Child, String, String) {
    let per_profile = (events as f64 / profiles as f64 - CONSENT_EVENTS_PER_PROFILE).max(0.0);
    let mut child = Command::new(env!("CARGO_BIN_EXE_warmup"))
        .args(["klaviyo-fake", "--port", "0", "--seed", "7"])
        .args(["--profiles", &profiles.to_string()])
        .args(["--events-per-profile", &format!("{per_profile:.3}")])
        .args(["--rate-limits", tiers])
        .env_remove("KLAVIYO_API_KEY")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start warmup klaviyo-fake");
    let stdout = child.stdout.take().expect("fake stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("fake banner");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("base URL in banner")
        .to_owned();
    (child, url, line.trim().to_owned())
}

fn main() {
    let profiles = env_number("KLAVIYO_BENCH_PROFILES", 850_000);
    let events = env_number("KLAVIYO_BENCH_EVENTS", profiles * 5_000_000 / 850_000);
    let tiers = std::env::var("KLAVIYO_BENCH_TIERS").unwrap_or_else(|_| "off".into());
    let generated = Instant::now();
    let (mut fake, url, banner) = start_fake(profiles, events, &tiers);
    println!(
        "{banner} (generated in {:.1}s)",
        generated.elapsed().as_secs_f64()
    );
    let counting = CountingSink {
        db: sled::Config::new().temporary(true).open().expect("sled"),
        customers: AtomicU64::new(0),
        events: AtomicU64::new(0),
    };
    let store_dir = tempfile::tempdir().expect("temporary folder");
    let sink_kind = std::env::var("KLAVIYO_BENCH_SINK").unwrap_or_else(|_| "count".into());
    let store = (sink_kind == "store").then(|| Store::open(store_dir.path()).expect("store"));
    let sink: &dyn CustomerSink = match &store {
        Some(store) => store,
        None => &counting,
    };
    let mapping = Mapping {
        properties: BTreeMap::from([
            ("phone_number".into(), "klaviyo_phone".into()),
            ("first_name".into(), "first_name".into()),
            ("last_name".into(), "last_name".into()),
            (
                "properties.Shopify Tags".into(),
                "klaviyo_shopify_tags".into(),
            ),
        ]),
        lists: BTreeMap::from([
            (NEWSLETTER_LIST.into(), "newsletter".into()),
            (SMS_LIST.into(), "sms".into()),
        ]),
    };
    let options = SyncOptions {
        initial: true,
        progress: false,
        // Every generated campaign event (60 days), so the whole account is read.
        campaign_window: chrono::Duration::days(61),
        ..SyncOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let client =
        KlaviyoClient::new(&url, Secret::new(DEFAULT_FAKE_KEY), DEFAULT_REVISION).expect("client");
    let started = Instant::now();
    let report = runtime
        .block_on(
            Syncer::new(client, sink, mapping, options)
                .expect("syncer")
                .run(),
        )
        .expect("sync");
    let seconds = started.elapsed().as_secs_f64();
    let fake_rss = vm_hwm_kib(&fake.id().to_string());
    let _ = fake.kill();
    let _ = fake.wait();
    println!("{report}");
    println!(
        "initial sync, tiers {tiers}, sink {sink_kind}: {profiles} profiles, {} events recorded, {} requests in {seconds:.1}s",
        report.events_added(),
        report.requests
    );
    println!(
        "throughput: {:.0} profiles/s, {:.0} events/s, {:.1} requests/s",
        report.profiles_created as f64 / seconds,
        report.events_added() as f64 / seconds,
        report.requests as f64 / seconds
    );
    if tiers == "real" {
        for tier in [Tier::L, Tier::XL] {
            let limits = tier.real_limits();
            println!(
                "tier {tier:?}: steady limit {:.1} requests/s",
                limits.steady as f64 / 60.0
            );
        }
    }
    println!(
        "peak RSS: sync {:.0} MiB, fake server {:.0} MiB",
        vm_hwm_kib("self") as f64 / 1024.0,
        fake_rss as f64 / 1024.0
    );
}
