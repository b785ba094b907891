//! Store benchmarks: CSV import of generated Klaviyo exports and event ingest.
//!
//! ```text
//! cargo bench --bench store_import -- import 850000    # CSV import, rows
//! cargo bench --bench store_import -- events 1000000   # event ingest, batches of 1000
//! cargo bench --bench store_import -- events-single 1000000   # one record_event per event
//! ```
//! Without arguments both run at a small scale (`WARMUP_BENCH_ROWS`, default 20,000).
//! Each run prints wall time, throughput and peak RSS (VmHWM); run one mode per process so
//! that the peak belongs to it.

use std::time::Instant;

use chrono::Duration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use warmup::sample::Sample;
use warmup::store::{CustomerId, CustomerRecord, Event, Store};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let default_rows: u64 = std::env::var("WARMUP_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let count = args
        .get(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_rows);
    match args.first().map(String::as_str) {
        Some("import") => import(count),
        Some("events") => events(count, BATCH),
        Some("events-single") => events(count, 1),
        _ => {
            import(default_rows);
            events(default_rows, BATCH);
        }
    }
}

/// Peak resident set size of this process in MiB, from /proc/self/status.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn import(rows: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv_path = dir.path().join("export.csv");
    let started = Instant::now();
    let file = std::io::BufWriter::new(std::fs::File::create(&csv_path).expect("create csv"));
    Sample::new(42).write_csv(file, rows).expect("write csv");
    let bytes = std::fs::metadata(&csv_path).map(|m| m.len()).unwrap_or(0);
    println!(
        "generate: {rows} rows, {:.0} MiB CSV in {:.1?}, peak RSS {:.0} MiB",
        bytes as f64 / 1048576.0,
        started.elapsed(),
        peak_rss_mib()
    );
    let store = Store::open(&dir.path().join("store")).expect("open store");
    let options = warmup::import::CustomerImportOptions {
        consent_category: Some("newsletter".into()),
        tag: Some("engaged-90".into()),
        ..Default::default()
    };
    let started = Instant::now();
    let summary =
        warmup::import::import_customers(&store, &csv_path, &options, &mut |_| {}).expect("import");
    store.flush().expect("flush");
    let elapsed = started.elapsed();
    println!(
        "import: {rows} rows in {elapsed:.1?} = {:.0} rows/s, peak RSS {:.0} MiB",
        rows as f64 / elapsed.as_secs_f64(),
        peak_rss_mib()
    );
    println!("{summary}");
}

/// Events per `record_events` call, as the HTTP ingest and the importers send them.
const BATCH: usize = 1000;

fn events(count: u64, batch_size: usize) {
    // On disk like a real store (a temporary sled store may live in memory).
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("store")).expect("store");
    let customers = (count / 10).clamp(1_000, 100_000);
    let mut ids = Vec::with_capacity(customers as usize);
    for customer in Sample::new(7).records(customers) {
        let record = CustomerRecord {
            email: Some(customer.email),
            ..Default::default()
        };
        ids.push(store.upsert(&record).expect("upsert").customer());
    }
    let mut rng = StdRng::seed_from_u64(9);
    let start = Sample::new(7).now;
    let actions = ["delivered", "delivered", "opened", "opened", "clicked"];
    let started = Instant::now();
    let mut batch = Vec::with_capacity(batch_size);
    for n in 0..count {
        let customer: CustomerId = ids[rng.random_range(0..ids.len())];
        let at = start + Duration::milliseconds(n as i64 * 7);
        let event = if n % 100 == 0 {
            Event::new("consent", at)
                .with("action", if n % 300 == 0 { "reject" } else { "accept" })
                .with("category", "newsletter")
        } else {
            Event::new("campaign", at)
                .with("action", actions[(n % 5) as usize])
                .with("template", "day-1")
                .with("scenario", "warmup")
        };
        batch.push((customer, event));
        if batch.len() == batch_size || n + 1 == count {
            store.record_events(&batch).expect("record");
            batch.clear();
        }
    }
    store.flush().expect("flush");
    let elapsed = started.elapsed();
    println!(
        "events: {count} events for {customers} customers, batches of {batch_size}, in {elapsed:.1?} = {:.0} events/s, peak RSS {:.0} MiB",
        count as f64 / elapsed.as_secs_f64(),
        peak_rss_mib()
    );
    drop(store);
    let floor = sled_floor(count, customers);
    println!(
        "reference: {count} raw sled inserts (24-byte key: random customer, time, seq; 80-byte value, the size of an encoded campaign event) in {floor:.1?} = {:.0} inserts/s; ingest / reference = {:.2}×",
        count as f64 / floor.as_secs_f64(),
        elapsed.as_secs_f64() / floor.as_secs_f64()
    );
}

/// The physical floor of event ingest, measured in the same process: one sled insert per
/// event into a fresh on-disk tree with the store's settings, keys shaped like the history's
/// (random customer, then time and sequence), one flush at the end.
fn sled_floor(count: u64, customers: u64) -> std::time::Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = sled::Config::new()
        .path(dir.path().join("floor"))
        .cache_capacity(64 * 1024 * 1024)
        .mode(sled::Mode::HighThroughput)
        .open()
        .expect("sled");
    let tree = db.open_tree("events").expect("tree");
    let mut rng = StdRng::seed_from_u64(9);
    let value = [7u8; 80];
    let started = Instant::now();
    for seq in 0..count {
        let mut key = [0u8; 24];
        key[..8].copy_from_slice(&rng.random_range(0..customers).to_be_bytes());
        key[8..16].copy_from_slice(&(seq * 7).to_be_bytes());
        key[16..].copy_from_slice(&seq.to_be_bytes());
        tree.insert(key, &value[..]).expect("insert");
    }
    db.flush().expect("flush");
    started.elapsed()
}
