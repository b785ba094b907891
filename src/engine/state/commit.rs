//! A batch of engine-state changes applied atomically: a token's move together with the
//! counters, cap usage and ledger entries it implies.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::keys;
use super::kv::Op;
use super::{CapInForce, CounterEntry, LedgerState, RunId, RunRecord, TokenRecord, TriggerState};
use crate::engine::error::{encode, Result};

/// Changes to apply together.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    ops: Vec<Op>,
    deltas: BTreeMap<Vec<u8>, i64>,
}

impl Commit {
    /// An empty commit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of changes held.
    pub fn len(&self) -> usize {
        self.ops.len() + self.deltas.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves every change of `other` into this commit.
    pub fn absorb(&mut self, other: Commit) {
        self.ops.extend(other.ops);
        for (key, delta) in other.deltas {
            *self.deltas.entry(key).or_insert(0) += delta;
        }
    }

    /// Stores a run record.
    pub fn put_run(&mut self, run: &RunRecord) -> Result<()> {
        self.ops
            .push((keys::run(run.id), Some(encode("run", run)?)));
        Ok(())
    }

    /// Sets a numeric meta value (cursors).
    pub fn put_meta(&mut self, name: &str, value: u64) {
        let key = keys::key(b'm', &[name.as_bytes()]);
        self.ops.push((key, Some(value.to_be_bytes().to_vec())));
    }

    /// Stores a trigger's bookkeeping.
    pub fn put_trigger(
        &mut self,
        scenario: &str,
        trigger: &str,
        state: &TriggerState,
    ) -> Result<()> {
        let key = keys::named(b'g', scenario, &[trigger.as_bytes()]);
        self.ops.push((key, Some(encode("trigger state", state)?)));
        Ok(())
    }

    /// Stores a token, parking it in the due index when it is parked.
    pub fn put_token(&mut self, run: RunId, customer: u64, token: &TokenRecord) -> Result<()> {
        if let super::TokenState::Parked { due } = token.state {
            self.ops
                .push((keys::due(due, run, token.index, customer), Some(Vec::new())));
            *self.deltas.entry(parked_key(run)).or_insert(0) += 1;
        }
        self.ops
            .push((keys::token(run, customer), Some(encode("token", token)?)));
        Ok(())
    }

    /// Takes a parked token out of the due index (it moves on).
    pub fn unpark(&mut self, run: RunId, node: u32, due: DateTime<Utc>, customer: u64) {
        self.ops.push((keys::due(due, run, node, customer), None));
        *self.deltas.entry(parked_key(run)).or_insert(0) -= 1;
    }

    /// Deletes a token record.
    pub fn delete_token(&mut self, run: RunId, customer: u64) {
        self.ops.push((keys::token(run, customer), None));
    }

    /// Adds to a node counter.
    pub fn count(&mut self, run: RunId, date: NaiveDate, node: &str, metric: &str, delta: i64) {
        let key = keys::key(
            b'c',
            &[
                &run.to_be_bytes(),
                &keys::date(date),
                node.as_bytes(),
                &[0],
                metric.as_bytes(),
            ],
        );
        *self.deltas.entry(key).or_insert(0) += delta;
    }

    /// Adds `delta` to the counter stored under `key`.
    pub(super) fn add_delta(&mut self, key: Vec<u8>, delta: i64) {
        *self.deltas.entry(key).or_insert(0) += delta;
    }

    /// Adds to a cap's usage.
    pub fn use_cap(&mut self, cap_key: &str, delta: i64) {
        *self
            .deltas
            .entry(keys::key(b'k', &[cap_key.as_bytes()]))
            .or_insert(0) += delta;
    }

    /// Records the cap a limit applied.
    pub fn cap_in_force(&mut self, entry: &CapInForce) {
        let key = keys::named(
            b'f',
            &entry.scenario,
            &[
                &keys::date(entry.date),
                entry.node.as_bytes(),
                &[0],
                entry.group.as_bytes(),
            ],
        );
        self.ops.push((key, Some(entry.cap.to_be_bytes().to_vec())));
    }

    /// Writes a ledger entry.
    pub fn ledger(&mut self, run: RunId, node: u32, customer: u64, state: LedgerState) {
        self.ops
            .push((keys::ledger(run, node, customer), Some(vec![state.byte()])));
    }

    /// Deletes a ledger entry (it moved to another customer by a merge).
    pub fn delete_ledger(&mut self, run: RunId, node: u32, customer: u64) {
        self.ops.push((keys::ledger(run, node, customer), None));
    }

    /// Records that a scheduled run of a scenario e-mails a customer on a local day.
    pub fn mailed(&mut self, scenario: &str, date: NaiveDate, customer: u64, run: RunId) {
        self.ops.push((
            keys::mailed(scenario, date, customer),
            Some(run.to_be_bytes().to_vec()),
        ));
    }

    /// Adds to a campaign-event statistic.
    pub fn stat(&mut self, scenario: &str, date: NaiveDate, group: &str, action: &str, delta: i64) {
        *self
            .deltas
            .entry(stat_key(scenario, date, group, action))
            .or_insert(0) += delta;
    }

    /// The writes, reading current values of counters through `get`.
    pub(super) fn into_ops(
        self,
        get: impl Fn(&[u8]) -> Result<Option<Vec<u8>>>,
    ) -> Result<Vec<Op>> {
        let mut ops = self.ops;
        for (key, delta) in self.deltas {
            if delta == 0 {
                continue;
            }
            let current = get(&key)?.and_then(|v| keys::u64_at(&v, 0)).unwrap_or(0) as i64;
            let value = (current + delta).max(0) as u64;
            ops.push((key, Some(value.to_be_bytes().to_vec())));
        }
        Ok(ops)
    }
}

fn parked_key(run: RunId) -> Vec<u8> {
    keys::key(b'p', &[&run.to_be_bytes()])
}

/// Key of a campaign statistic.
pub(super) fn stat_key(scenario: &str, date: NaiveDate, group: &str, action: &str) -> Vec<u8> {
    keys::named(
        b's',
        scenario,
        &[&keys::date(date), group.as_bytes(), &[0], action.as_bytes()],
    )
}

/// Decodes a counter entry.
pub(super) fn decode_counter(key: &[u8], value: &[u8]) -> Option<CounterEntry> {
    let run = keys::u64_at(key, 1)?;
    let date = keys::decode_date(key.get(9..13)?)?;
    let rest = key.get(13..)?;
    let zero = rest.iter().position(|b| *b == 0)?;
    Some(CounterEntry {
        run,
        date,
        node: String::from_utf8_lossy(&rest[..zero]).into_owned(),
        metric: String::from_utf8_lossy(&rest[zero + 1..]).into_owned(),
        value: keys::u64_at(value, 0)?,
    })
}

/// Decodes a cap-in-force entry.
pub(super) fn decode_cap_in_force(key: &[u8], value: &[u8]) -> Option<CapInForce> {
    let rest = key.get(1..)?;
    let zero = rest.iter().position(|b| *b == 0)?;
    let scenario = String::from_utf8_lossy(&rest[..zero]).into_owned();
    let rest = rest.get(zero + 1..)?;
    let date = keys::decode_date(rest.get(..4)?)?;
    let rest = rest.get(4..)?;
    let zero = rest.iter().position(|b| *b == 0)?;
    Some(CapInForce {
        scenario,
        date,
        node: String::from_utf8_lossy(&rest[..zero]).into_owned(),
        group: String::from_utf8_lossy(&rest[zero + 1..]).into_owned(),
        cap: keys::u64_at(value, 0)?,
    })
}

/// Decodes a campaign statistic.
pub(super) fn decode_stat(key: &[u8], value: &[u8]) -> Option<super::StatEntry> {
    let cap = decode_cap_in_force(key, value)?;
    Some(super::StatEntry {
        scenario: cap.scenario,
        date: cap.date,
        group: cap.node,
        action: cap.group,
        value: cap.cap,
    })
}
