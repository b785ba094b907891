//! Metrics read from the store at scrape time.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;

use super::group_commit::GroupCommit;
use crate::store::Store;

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
        )
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
