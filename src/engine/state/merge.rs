//! Identity merges in the engine state: the absorbed customer's tokens, ledger entries and
//! parked (due-index) entries move under the survivor.
//!
//! The state is keyed by customer id, and a merge makes one of two ids stop existing. The
//! store journals every merge (`store::merge_log`); the engine follows the journal with a
//! cursor kept here (meta `merge_cursor`) and hands each merge over in one atomic batch with
//! the cursor, at the start of every tick, before anything reads the state. A merge that
//! arrives while a tick runs (through the HTTP API of `warmup run`) is met in the wake loop,
//! where a parked customer whose id now resolves elsewhere is handed over on the spot
//! ([`EngineState::hand_over`] is idempotent, so the journal's later turn changes nothing).
//!
//! Why the engine and not the store moves this state: only the engine knows when no wave
//! holds the tokens in memory, and which of two tokens of one run survives.
//!
//! The rule, per run that is not done:
//! - **one token per run**: the survivor's own token wins; the absorbed one is deleted (and
//!   unparked), counted as `merged` at its node. Without a survivor token the absorbed token
//!   moves under the survivor, parked at the same node and instant.
//! - **ledger**: per node the stronger entry is kept under the survivor (done, then
//!   uncertain, then intent, then failed), so an e-mail or webhook done for either customer
//!   counts as done for the merged one and nobody gets it twice.
//! - **cap usage** is counted per group and day, not per customer: a dropped token's unit
//!   stays used, so a cap is never exceeded by a merge.

use std::collections::HashMap;

use super::records::{LedgerState, RunRecord, RunStatus, TokenState};
use super::{keys, Commit, EngineState};
use crate::engine::customers::{CustomerAccess, Flow};
use crate::engine::error::Result;

/// Meta name of the position in the store's merge journal handed over so far.
const CURSOR: &str = "merge_cursor";

/// How many journal entries are read at a time.
const PAGE: usize = 1024;

impl EngineState {
    /// Hands over every merge the customer source recorded since the last hand-over; returns
    /// how many were handed over. The first call on a state hands over every merge ever
    /// recorded (stores from before the journal).
    pub fn hand_over_merges(&self, access: &dyn CustomerAccess) -> Result<u64> {
        let mut handed = 0;
        let mut cursor = match self.meta(CURSOR)? {
            Some(cursor) => cursor,
            None => {
                let (merges, last) = access.all_merges()?;
                let runs = self.live_runs()?;
                let chains: HashMap<u64, u64> =
                    merges.iter().map(|m| (m.absorbed, m.survivor)).collect();
                for merge in &merges {
                    self.hand_over_in(&runs, merge.absorbed, final_id(&chains, merge.survivor))?;
                    handed += 1;
                }
                let mut commit = Commit::new();
                commit.put_meta(CURSOR, last);
                self.commit(commit)?;
                last
            }
        };
        loop {
            let merges = access.merges_after(cursor, PAGE)?;
            let Some(last) = merges.last() else {
                return Ok(handed);
            };
            let runs = self.live_runs()?;
            for merge in &merges {
                let mut commit = self.hand_over_commit(&runs, merge.absorbed, merge.survivor)?;
                commit.put_meta(CURSOR, merge.seq);
                self.commit(commit)?;
                crate::engine::crash_point::reached("merge-handed-over");
                handed += 1;
            }
            cursor = last.seq;
        }
    }

    /// Moves the state of customer `absorbed` under `survivor` in every run that is not done,
    /// atomically. Doing it again changes nothing.
    pub fn hand_over(&self, absorbed: u64, survivor: u64) -> Result<()> {
        self.hand_over_in(&self.live_runs()?, absorbed, survivor)
    }

    /// [`EngineState::hand_over`] in one run, whatever its status (the wake loop meets a
    /// merged customer in a run that is still waking, even one marked done too early).
    pub fn hand_over_in_run(&self, run: &RunRecord, absorbed: u64, survivor: u64) -> Result<()> {
        self.hand_over_in(std::slice::from_ref(run), absorbed, survivor)
    }

    fn hand_over_in(&self, runs: &[RunRecord], absorbed: u64, survivor: u64) -> Result<()> {
        let commit = self.hand_over_commit(runs, absorbed, survivor)?;
        self.commit(commit)
    }

    /// Runs whose tokens can still move or enter (a done run's tokens never do).
    fn live_runs(&self) -> Result<Vec<RunRecord>> {
        let mut runs = self.runs()?;
        runs.retain(|run| run.status != RunStatus::Done);
        Ok(runs)
    }

    fn hand_over_commit(&self, runs: &[RunRecord], absorbed: u64, survivor: u64) -> Result<Commit> {
        let mut commit = Commit::new();
        if absorbed == survivor {
            return Ok(commit);
        }
        for run in runs {
            self.hand_over_token(&mut commit, run, absorbed, survivor)?;
            self.hand_over_ledger(&mut commit, run.id, absorbed, survivor)?;
        }
        Ok(commit)
    }

    fn hand_over_token(
        &self,
        commit: &mut Commit,
        run: &RunRecord,
        absorbed: u64,
        survivor: u64,
    ) -> Result<()> {
        let Some(token) = self.token(run.id, absorbed)? else {
            return Ok(());
        };
        commit.delete_token(run.id, absorbed);
        if let TokenState::Parked { due } = token.state {
            commit.unpark(run.id, token.index, due, absorbed);
        }
        if self.token(run.id, survivor)?.is_some() {
            if matches!(token.state, TokenState::Parked { .. }) {
                commit.count(run.id, run.local_date, &token.node, "merged", 1);
            }
        } else {
            commit.put_token(run.id, survivor, &token)?;
        }
        Ok(())
    }

    fn hand_over_ledger(
        &self,
        commit: &mut Commit,
        run: u64,
        absorbed: u64,
        survivor: u64,
    ) -> Result<()> {
        let mut from_node = Some(0u32);
        while let Some(node) =
            from_node.and_then(|from| self.next_ledger_node(run, from).transpose())
        {
            let node = node?;
            if let Some(theirs) = self.ledger(run, node, absorbed)? {
                let ours = self.ledger(run, node, survivor)?;
                let kept = ours.map_or(theirs, |ours| stronger(ours, theirs));
                if ours != Some(kept) {
                    commit.ledger(run, node, survivor, kept);
                }
                commit.delete_ledger(run, node, absorbed);
            }
            from_node = node.checked_add(1);
        }
        Ok(())
    }

    /// The first node index at or after `from` with any ledger entry in a run: one seek per
    /// node with side effects instead of a scan over every customer's entries.
    fn next_ledger_node(&self, run: u64, from: u32) -> Result<Option<u32>> {
        let prefix = keys::key(b'l', &[&run.to_be_bytes()]);
        let start = keys::key(b'l', &[&run.to_be_bytes(), &from.to_be_bytes()]);
        let mut found = None;
        self.kv.scan(&prefix, &start, &mut |key, _| {
            found = keys::u32_at(key, 9);
            Ok(Flow::Stop)
        })?;
        Ok(found)
    }
}

/// Follows recorded merges to the id a customer lives on now.
fn final_id(chains: &HashMap<u64, u64>, mut id: u64) -> u64 {
    // Each hop goes to a lower id, so the walk ends.
    while let Some(&next) = chains.get(&id) {
        if next >= id {
            break;
        }
        id = next;
    }
    id
}

/// Of two ledger entries of one side effect, the one that must decide: anything that may
/// have been performed beats a failure, and a confirmation beats everything. An uncertain
/// send still to be looked at beats one an operator dismissed.
fn stronger(a: LedgerState, b: LedgerState) -> LedgerState {
    let rank = |state: LedgerState| match state {
        LedgerState::Done => 4,
        LedgerState::Uncertain => 3,
        LedgerState::Dismissed => 2,
        LedgerState::Intent => 1,
        LedgerState::Failed => 0,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

impl EngineState {
    /// The token a parked entry of a due group stands for. An entry without a token parked
    /// there (a merge or a damaged state left it behind) is removed and `None` returned, so
    /// the wake loop always makes progress.
    pub fn parked_token(
        &self,
        group: super::DueGroup,
        customer: u64,
    ) -> Result<Option<super::TokenRecord>> {
        let token = self.token(group.run, customer)?;
        let parked_here = token.as_ref().is_some_and(|token| {
            token.index == group.node && token.state == (TokenState::Parked { due: group.due })
        });
        if parked_here {
            return Ok(token);
        }
        let mut commit = Commit::new();
        commit.unpark(group.run, group.node, group.due, customer);
        self.commit(commit)?;
        Ok(None)
    }
}
