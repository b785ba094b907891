//! Engine benchmark: simulate the plan-driven example for 14 days over N generated customers,
//! and, as the physical reference, write the same number of token records to a raw sled tree.
//!
//! ```text
//! cargo bench --bench engine -- 850000            # one scale
//! cargo bench --bench engine -- 850000 10000000   # both scales of BENCHMARKS.md
//! ```
//! Without arguments it runs at `WARMUP_BENCH_CUSTOMERS` (default 20,000). Each phase runs in
//! its own process (the bench re-invokes itself), so each peak RSS (VmHWM) is that phase's
//! own: building the store, compacting it (`warmup store compact`, as an operator does after a
//! large import), simulating, and the sled reference.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use warmup::engine::{simulate, CustomerAccess};
use warmup::import::{import_customers, CustomerImportOptions};
use warmup::project::Project;
use warmup::sample::Sample;
use warmup::scenario::{compile_str, load_scenarios};
use warmup::store::Store;

const DAYS: u32 = 14;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("phase-build") => build(Path::new(&args[1]), arg_u64(&args, 2)),
        Some("phase-compact") => compact_phase(Path::new(&args[1])),
        Some("phase-simulate") => simulate_phase(Path::new(&args[1])),
        Some("phase-sled") => sled_reference(Path::new(&args[1]), arg_u64(&args, 2)),
        _ => {
            let scales: Vec<u64> = if args.is_empty() {
                vec![std::env::var("WARMUP_BENCH_CUSTOMERS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(20_000)]
            } else {
                args.iter()
                    .filter_map(|a| a.replace('_', "").parse().ok())
                    .collect()
            };
            println!("| customers | build store | simulate 14 days | tokens | tokens/s | peak RSS | sled reference | peak RSS | engine / reference |");
            println!("|---|---|---|---|---|---|---|---|---|");
            for customers in scales {
                drive(customers);
            }
        }
    }
}

fn arg_u64(args: &[String], index: usize) -> u64 {
    args.get(index).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs one phase in a child process and returns its output line's fields.
fn phase(args: &[&str]) -> Vec<String> {
    let exe = std::env::current_exe().expect("bench executable");
    let output = Command::new(exe).args(args).output().expect("run phase");
    assert!(
        output.status.success(),
        "phase {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or_default();
    line.split('\t').map(str::to_owned).collect()
}

fn drive(customers: u64) {
    let dir = tempfile::Builder::new()
        .prefix("warmup-engine-bench")
        .tempdir_in(repo().join("target"))
        .expect("temp dir");
    let store = dir.path().join("store");
    let count = customers.to_string();
    let built = phase(&["phase-build", store.to_str().unwrap_or_default(), &count]);
    let compacted = phase(&["phase-compact", store.to_str().unwrap_or_default()]);
    println!(
        "{customers} customers: compacted the store from {} MB to {} MB in {} s (peak RSS {} MiB)",
        compacted[1], compacted[2], compacted[0], compacted[3]
    );
    let simulated = phase(&["phase-simulate", store.to_str().unwrap_or_default()]);
    let tokens: u64 = simulated[1].parse().unwrap_or(0);
    // The store is not needed any more; at 10 million customers disk space matters.
    let _ = std::fs::remove_dir_all(&store);
    let reference = phase(&[
        "phase-sled",
        dir.path().join("sled").to_str().unwrap_or_default(),
        &tokens.to_string(),
    ]);
    let (sim_s, ref_s): (f64, f64) = (
        simulated[0].parse().unwrap_or(0.0),
        reference[0].parse().unwrap_or(0.0),
    );
    println!(
        "| {customers} | {} s | {sim_s:.1} s | {tokens} | {:.0} | {} MiB | {ref_s:.1} s | {} MiB | {:.2}× |",
        built[0],
        tokens as f64 / sim_s.max(1e-9),
        simulated[2],
        reference[1],
        sim_s / ref_s.max(1e-9),
    );
}

/// Peak resident set size of this process in MiB (VmHWM).
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib / 1024)
}

fn project() -> Project {
    Project::load(Some(&repo().join("warmup.yaml"))).expect("example project")
}

/// Builds a store of `customers` sample customers (tagged, consent from the export).
fn build(store_dir: &Path, customers: u64) {
    let started = Instant::now();
    let project = project();
    let store = Store::open(store_dir).expect("store");
    let csv = store_dir.with_extension("csv");
    Sample::new(1)
        .write_csv(
            std::io::BufWriter::new(std::fs::File::create(&csv).expect("csv")),
            customers,
        )
        .expect("write csv");
    let options = CustomerImportOptions {
        columns: project.file.import.columns.clone(),
        consent_category: project.file.import.consent_category.clone(),
        tag: Some("engaged-90".into()),
        rejects: None,
    };
    import_customers(&store, &csv, &options, &mut |_| {}).expect("import");
    store.flush().expect("flush");
    let _ = std::fs::remove_file(&csv);
    println!("{:.1}\t{}", started.elapsed().as_secs_f64(), peak_rss_mib());
}

/// Rewrites the built store (`warmup store compact`): time, MB before and after, peak RSS.
fn compact_phase(store_dir: &Path) {
    let compaction = Store::compact(store_dir).expect("compact");
    println!(
        "{:.1}\t{}\t{}\t{}",
        compaction.elapsed.as_secs_f64(),
        compaction.before / 1_000_000,
        compaction.after / 1_000_000,
        peak_rss_mib()
    );
}

/// Simulates the plan-driven scenario for 14 days over the store.
fn simulate_phase(store_dir: &Path) {
    let project = project();
    let store = Arc::new(Store::open(store_dir).expect("store"));
    let scenarios =
        load_scenarios(&project, &[repo().join("scenarios/plan-driven.yaml")]).expect("scenario");
    let compiler_project = project.clone();
    let started = Instant::now();
    let simulation = simulate(
        store as Arc<dyn CustomerAccess>,
        scenarios,
        project.mailbox_providers(),
        Box::new(move |s| {
            compile_str(s, Path::new("stored"), &compiler_project).map_err(|d| d.to_string())
        }),
        NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        DAYS,
        false,
    )
    .expect("simulation");
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!("{:?}", simulation.summary);
    println!(
        "{elapsed:.2}\t{}\t{}",
        simulation.summary.tokens,
        peak_rss_mib()
    );
}

/// The physical reference: `tokens` token records (24-byte key: run, customer, node; 32-byte
/// value) inserted one by one in key order into sled with the store's settings, one flush.
fn sled_reference(dir: &Path, tokens: u64) {
    let db = sled::Config::new()
        .path(dir)
        .cache_capacity(64 * 1024 * 1024)
        .mode(sled::Mode::HighThroughput)
        .open()
        .expect("sled");
    let tree = db.open_tree("tokens").expect("tree");
    let started = Instant::now();
    let per_run = tokens / u64::from(DAYS) + 1;
    let value = [7u8; 32];
    for index in 0..tokens {
        let mut key = [0u8; 24];
        key[..8].copy_from_slice(&(index / per_run).to_be_bytes());
        key[8..16].copy_from_slice(&(index % per_run).to_be_bytes());
        key[16..].copy_from_slice(&3u64.to_be_bytes());
        tree.insert(key, &value).expect("insert");
    }
    db.flush().expect("flush");
    println!("{:.2}\t{}", started.elapsed().as_secs_f64(), peak_rss_mib());
}
