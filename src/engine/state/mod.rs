//! The engine's state: runs, parked tokens and their due index, counters, cap usage, the
//! side-effect ledger, trigger bookkeeping and scenario versions.
//!
//! One [`EngineState`] type over a [`Kv`]: sled for `tick` and `run` (durable, crash-safe
//! because every change of a token travels in one atomic batch with the counters and cap
//! usage it implies), or memory for `simulate`. Only what must survive a crash is written:
//! tokens that park, tokens that ended after a side effect, ledger entries, counters.

mod commit;
pub mod keys;
mod kv;
mod merge;
mod reasons;
mod records;

use chrono::{DateTime, NaiveDate, Utc};

pub use commit::Commit;
pub use kv::{Kv, MemoryKv, SledKv};
pub use records::{
    LedgerState, RunId, RunRecord, RunStatus, TokenRecord, TokenState, TriggerState,
};

use super::customers::Flow;
use super::error::{decode, Result};

/// One counter: a node's entered / left-by-port / failed count on a local date of a run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CounterEntry {
    /// Run.
    pub run: RunId,
    /// Local date (scenario time zone).
    pub date: NaiveDate,
    /// Node id.
    pub node: String,
    /// `entered`, `failed`, or a port name.
    pub metric: String,
    /// Count.
    pub value: u64,
}

/// A cap that a limit applied on a date to a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapInForce {
    /// Scenario.
    pub scenario: String,
    /// Local date.
    pub date: NaiveDate,
    /// Limit node id.
    pub node: String,
    /// Group (e.g. mailbox provider).
    pub group: String,
    /// The cap.
    pub cap: u64,
}

/// A group of parked tokens: same run, node and due instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueGroup {
    /// When they are due.
    pub due: DateTime<Utc>,
    /// Run.
    pub run: RunId,
    /// Node index.
    pub node: u32,
}

/// The engine state.
pub struct EngineState {
    kv: Box<dyn Kv>,
}

impl EngineState {
    /// State over a key-value backend.
    pub fn new(kv: Box<dyn Kv>) -> Self {
        Self { kv }
    }

    /// State in memory (simulation, tests).
    pub fn in_memory() -> Self {
        Self::new(Box::new(MemoryKv::default()))
    }

    /// Applies a commit atomically.
    pub fn commit(&self, commit: Commit) -> Result<()> {
        let ops = commit.into_ops(|key| self.kv.get(key))?;
        self.kv.apply(ops)
    }

    /// Makes everything applied durable (a no-op in memory).
    pub fn flush(&self) -> Result<()> {
        self.kv.flush()
    }

    fn u64_value(&self, key: &[u8]) -> Result<u64> {
        Ok(self
            .kv
            .get(key)?
            .and_then(|v| keys::u64_at(&v, 0))
            .unwrap_or(0))
    }

    /// A numeric meta value (cursors), if set.
    pub fn meta(&self, name: &str) -> Result<Option<u64>> {
        Ok(self
            .kv
            .get(&keys::key(b'm', &[name.as_bytes()]))?
            .and_then(|v| keys::u64_at(&v, 0)))
    }

    /// Allocates the next run id (durable once the run is committed).
    pub fn allocate_run_id(&self) -> Result<RunId> {
        let key = keys::key(b'm', &[b"next_run"]);
        let id = self.u64_value(&key)?.max(1);
        self.kv
            .apply(vec![(key, Some((id + 1).to_be_bytes().to_vec()))])?;
        Ok(id)
    }

    /// A run.
    pub fn run(&self, id: RunId) -> Result<Option<RunRecord>> {
        self.kv
            .get(&keys::run(id))?
            .map(|v| decode("run", &v))
            .transpose()
    }

    /// Every run in id order.
    pub fn runs(&self) -> Result<Vec<RunRecord>> {
        let mut runs = Vec::new();
        self.kv.scan(b"r", b"r", &mut |_, v| {
            runs.push(decode("run", v)?);
            Ok(Flow::Continue)
        })?;
        Ok(runs)
    }

    /// Stores a scenario version's source (once).
    pub fn save_version(&self, scenario: &str, version: &str, source: &str) -> Result<()> {
        let key = keys::named(b'v', scenario, &[version.as_bytes()]);
        if self.kv.get(&key)?.is_none() {
            self.kv
                .apply(vec![(key, Some(source.as_bytes().to_vec()))])?;
        }
        Ok(())
    }

    /// The source of a scenario version.
    pub fn version_source(&self, scenario: &str, version: &str) -> Result<Option<String>> {
        let key = keys::named(b'v', scenario, &[version.as_bytes()]);
        Ok(self
            .kv
            .get(&key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// A trigger's bookkeeping.
    pub fn trigger_state(&self, scenario: &str, trigger: &str) -> Result<Option<TriggerState>> {
        self.kv
            .get(&keys::named(b'g', scenario, &[trigger.as_bytes()]))?
            .map(|v| decode("trigger state", &v))
            .transpose()
    }

    /// A customer's token in a run.
    pub fn token(&self, run: RunId, customer: u64) -> Result<Option<TokenRecord>> {
        self.kv
            .get(&keys::token(run, customer))?
            .map(|v| decode("token", &v))
            .transpose()
    }

    /// The earliest group of parked tokens due at or before `now`.
    pub fn first_due(&self, now: DateTime<Utc>) -> Result<Option<DueGroup>> {
        let group = self.next_due()?;
        Ok(group.filter(|g| g.due <= now))
    }

    /// The earliest group of parked tokens, due or not.
    pub fn next_due(&self) -> Result<Option<DueGroup>> {
        let mut found = None;
        self.kv.scan(b"d", b"d", &mut |key, _| {
            found = decode_due(key).map(|(group, _)| group);
            Ok(Flow::Stop)
        })?;
        Ok(found)
    }

    /// Up to `limit` customers of a due group, after customer `after` (exclusive).
    pub fn due_customers(
        &self,
        group: DueGroup,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<u64>> {
        let prefix = keys::due_group(group.due, group.run, group.node);
        let from = match after {
            Some(after) => keys::due(group.due, group.run, group.node, after.saturating_add(1)),
            None => prefix.clone(),
        };
        let mut customers = Vec::new();
        self.kv.scan(&prefix, &from, &mut |key, _| {
            if let Some((_, customer)) = decode_due(key) {
                customers.push(customer);
            }
            Ok(if customers.len() >= limit {
                Flow::Stop
            } else {
                Flow::Continue
            })
        })?;
        Ok(customers)
    }

    /// Every due group with its size, in due order (status output).
    pub fn due_summary(&self) -> Result<Vec<(DueGroup, u64)>> {
        let mut groups: Vec<(DueGroup, u64)> = Vec::new();
        self.kv.scan(b"d", b"d", &mut |key, _| {
            if let Some((group, _)) = decode_due(key) {
                match groups.last_mut() {
                    Some((last, count)) if *last == group => *count += 1,
                    _ => groups.push((group, 1)),
                }
            }
            Ok(Flow::Continue)
        })?;
        Ok(groups)
    }

    /// Tokens of a run still parked.
    pub fn parked(&self, run: RunId) -> Result<i64> {
        Ok(self.u64_value(&keys::key(b'p', &[&run.to_be_bytes()]))? as i64)
    }

    /// How many a cap key let pass so far.
    pub fn cap_used(&self, key: &str) -> Result<u64> {
        self.u64_value(&keys::key(b'k', &[key.as_bytes()]))
    }

    /// The scheduled run of a scenario that e-mailed a customer on a local day, if any.
    pub fn mailed(&self, scenario: &str, date: NaiveDate, customer: u64) -> Result<Option<RunId>> {
        Ok(self
            .kv
            .get(&keys::mailed(scenario, date, customer))?
            .and_then(|v| keys::u64_at(&v, 0)))
    }

    /// A ledger entry.
    pub fn ledger(&self, run: RunId, node: u32, customer: u64) -> Result<Option<LedgerState>> {
        Ok(self
            .kv
            .get(&keys::ledger(run, node, customer))?
            .and_then(|v| v.first().copied())
            .and_then(LedgerState::from_byte))
    }

    /// Ledger entries in a state (e.g. uncertain e-mails), as (run, node index, customer).
    pub fn ledger_in(&self, state: LedgerState) -> Result<Vec<(RunId, u32, u64)>> {
        let mut found = Vec::new();
        self.kv.scan(b"l", b"l", &mut |key, value| {
            if value.first() == Some(&state.byte()) {
                if let (Some(run), Some(node), Some(customer)) = (
                    keys::u64_at(key, 1),
                    keys::u32_at(key, 9),
                    keys::u64_at(key, 13),
                ) {
                    found.push((run, node, customer));
                }
            }
            Ok(Flow::Continue)
        })?;
        Ok(found)
    }

    /// Campaign-event count of a scenario, date, group and action (deliverability guard).
    pub fn stat(&self, scenario: &str, date: NaiveDate, group: &str, action: &str) -> Result<u64> {
        self.u64_value(&commit::stat_key(scenario, date, group, action))
    }

    /// Every counter, optionally of one run only.
    pub fn counters(&self, run: Option<RunId>) -> Result<Vec<CounterEntry>> {
        let prefix = match run {
            Some(run) => keys::key(b'c', &[&run.to_be_bytes()]),
            None => b"c".to_vec(),
        };
        let mut entries = Vec::new();
        self.kv.scan(&prefix, &prefix, &mut |key, value| {
            if let Some(entry) = commit::decode_counter(key, value) {
                entries.push(entry);
            }
            Ok(Flow::Continue)
        })?;
        Ok(entries)
    }

    /// Every cap in force that limits recorded.
    pub fn caps_in_force(&self) -> Result<Vec<CapInForce>> {
        let mut entries = Vec::new();
        self.kv.scan(b"f", b"f", &mut |key, value| {
            if let Some(entry) = commit::decode_cap_in_force(key, value) {
                entries.push(entry);
            }
            Ok(Flow::Continue)
        })?;
        Ok(entries)
    }
}

/// Decodes a due-index key.
fn decode_due(key: &[u8]) -> Option<(DueGroup, u64)> {
    let due = keys::decode_time(key.get(1..9)?)?;
    let run = keys::u64_at(key, 9)?;
    let node = keys::u32_at(key, 17)?;
    let customer = keys::u64_at(key, 21)?;
    Some((DueGroup { due, run, node }, customer))
}

/// One campaign statistic: events of an action on a date for a group of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatEntry {
    /// Scenario.
    pub scenario: String,
    /// Local date.
    pub date: NaiveDate,
    /// Group (mailbox provider).
    pub group: String,
    /// `delivered`, `failed`, `bounced`, `complained`.
    pub action: String,
    /// Count.
    pub value: u64,
}

impl EngineState {
    /// Every campaign statistic.
    pub fn stats(&self) -> Result<Vec<StatEntry>> {
        let mut entries = Vec::new();
        self.kv.scan(b"s", b"s", &mut |key, value| {
            if let Some(entry) = commit::decode_stat(key, value) {
                entries.push(entry);
            }
            Ok(Flow::Continue)
        })?;
        Ok(entries)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod merge_tests;
