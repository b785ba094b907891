//! Per run and node, how many customers failed for which (normalised) reason: what
//! `warmup status` shows beside the node counters. Key `x`: run (8), node id, 0, reason →
//! count (8).

use std::collections::BTreeMap;

use super::{keys, Commit, EngineState, RunId};
use crate::engine::customers::Flow;
use crate::engine::error::Result;
use crate::engine::failures::NodeFailures;

fn reason_key(run: RunId, node: &str, reason: &str) -> Vec<u8> {
    keys::key(
        b'x',
        &[&run.to_be_bytes(), node.as_bytes(), &[0], reason.as_bytes()],
    )
}

impl Commit {
    /// Counts `count` customers failing at `node` of `run` for `reason`.
    pub fn failure_reason(&mut self, run: RunId, node: &str, reason: &str, count: i64) {
        self.add_delta(reason_key(run, node, reason), count);
    }
}

impl EngineState {
    /// The failures of a run by node id, with their reasons.
    pub fn failure_reasons(&self, run: RunId) -> Result<BTreeMap<String, NodeFailures>> {
        let prefix = keys::key(b'x', &[&run.to_be_bytes()]);
        let mut nodes: BTreeMap<String, NodeFailures> = BTreeMap::new();
        self.kv.scan(&prefix, &prefix, &mut |key, value| {
            let rest = key.get(9..).unwrap_or_default();
            if let (Some(zero), Some(count)) =
                (rest.iter().position(|b| *b == 0), keys::u64_at(value, 0))
            {
                let node = String::from_utf8_lossy(&rest[..zero]).into_owned();
                let reason = String::from_utf8_lossy(&rest[zero + 1..]).into_owned();
                nodes.entry(node).or_default().add(&reason, count);
            }
            Ok(Flow::Continue)
        })?;
        Ok(nodes)
    }
}
