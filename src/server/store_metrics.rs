//! Metrics read from the store at scrape time: the event log, flushes, and how old the
//! newest record behind each Klaviyo sync cursor is.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use super::group_commit::GroupCommit;
use crate::store::Store;

/// The Klaviyo sync's cursor tree (see `klaviyo::sync::state`).
const SYNC_CURSORS: &str = "klaviyo/cursors";

/// Reads the store on every scrape.
pub struct StoreCollector {
    store: Arc<Store>,
    commit: Arc<GroupCommit>,
}

impl std::fmt::Debug for StoreCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreCollector")
            .field("store", &self.store.path())
            .finish_non_exhaustive()
    }
}

impl StoreCollector {
    /// A collector over the store and the server's group commit.
    pub fn new(store: Arc<Store>, commit: Arc<GroupCommit>) -> Self {
        Self { store, commit }
    }
}

impl Collector for StoreCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        counter(
            &mut encoder,
            "event_log",
            "Events recorded in the store's event log",
            self.store.next_event_seq(),
        )?;
        counter(
            &mut encoder,
            "store_flushes",
            "Store flushes performed to acknowledge ingested data",
            self.commit.flushes(),
        )?;
        let ages = self.sync_cursor_ages();
        let mut metric = encoder.encode_descriptor(
            "klaviyo_sync_cursor_age_seconds",
            "Seconds since the newest Klaviyo record each sync cursor has reached (sync lag)",
            None,
            MetricType::Gauge,
        )?;
        for (cursor, age) in &ages {
            let labels = [("cursor", cursor.as_str())];
            ConstGauge::new(*age).encode(metric.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

impl StoreCollector {
    /// Age of every cursor in the sync's `klaviyo/cursors` tree (values are RFC 3339).
    fn sync_cursor_ages(&self) -> Vec<(String, i64)> {
        let Ok(tree) = self.store.tree(SYNC_CURSORS) else {
            return Vec::new();
        };
        let now = chrono::Utc::now();
        // Stop at the first unreadable entry: sled repeats an error on a damaged page forever.
        tree.iter()
            .map_while(Result::ok)
            .filter_map(|(name, value)| {
                let at =
                    chrono::DateTime::parse_from_rfc3339(std::str::from_utf8(&value).ok()?).ok()?;
                let name = String::from_utf8_lossy(&name).into_owned();
                Some((name, (now - at.with_timezone(&chrono::Utc)).num_seconds()))
            })
            .collect()
    }
}

fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    let counter = ConstCounter::new(value);
    let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
    counter.encode(metric)
}
