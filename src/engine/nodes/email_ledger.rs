//! The e-mail ledger while a chunk is sent: at most once, and as few uncertain sends as a
//! crash can leave.
//!
//! A message's intent must be durable before the message is handed to the transport, and its
//! outcome should be durable soon after the server answered, so that a crash leaves only the
//! messages in flight uncertain. Each flush costs (an fsync), so intents are written in small
//! groups sized to what the transport sends in about [`WINDOW`], and outcomes travel with the
//! next group's intents, or on their own once [`WINDOW`] has passed. A slow server therefore
//! gets one flush per message (intent of the next one and outcome of the last one together);
//! a fast one a flush every few messages. A crash leaves uncertain at most the current group:
//! the messages handed to the transport in the last [`WINDOW`] or so, plus those of the group
//! not yet tried.
//!
//! Intents of customers never handed to the transport (a stop, an engine error) are taken
//! back when the chunk ends, so they are sent at the next start instead of being reported.
//!
//! The `delivered` / `failed` statistic of a send (which limit guards read) is written in the
//! same batch as its outcome, so it is counted once, exactly when the outcome is kept, also
//! when the token itself is written only later (or, after a stop or crash, never).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::engine::error::Result;
use crate::engine::state::{Commit, EngineState, LedgerState, RunId};

/// About how long a group of intents lasts, and how long an outcome may wait for its flush.
pub const WINDOW: Duration = Duration::from_millis(20);

/// The most intents written in one group, and so the most e-mails one crash leaves uncertain.
pub const MAX_GROUP: usize = 16;

/// A campaign statistic counted with a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// Scenario name.
    pub scenario: String,
    /// Local date of the send.
    pub date: NaiveDate,
    /// Mailbox provider.
    pub group: String,
    /// `delivered` or `failed`.
    pub action: &'static str,
}

/// The ledger of one chunk of one e-mail node of one run.
pub struct Confirmations<'a> {
    state: &'a EngineState,
    durable: bool,
    run: RunId,
    node: u32,
    /// Customers whose intent is written and who were not handed to the transport yet.
    reserved: VecDeque<u64>,
    /// Outcomes not yet flushed.
    outcomes: Commit,
    /// Size of the next group of intents.
    group: usize,
    /// When the current group of intents was flushed, and how many of it were sent.
    group_started: Instant,
    group_sent: usize,
    last_flush: Instant,
}

impl<'a> Confirmations<'a> {
    /// The ledger of a chunk; `durable` says whether flushing means anything.
    pub fn new(state: &'a EngineState, durable: bool, run: RunId, node: u32) -> Self {
        let now = Instant::now();
        Self {
            state,
            durable,
            run,
            node,
            reserved: VecDeque::new(),
            outcomes: Commit::new(),
            group: 1,
            group_started: now,
            group_sent: 0,
            last_flush: now,
        }
    }

    /// Makes the intent of `upcoming[0]` durable before it is handed to the transport: when
    /// its group is used up, writes the intents of the next group (from `upcoming`) together
    /// with the outcomes so far, and flushes.
    pub fn before_send(&mut self, upcoming: &[u64]) -> Result<()> {
        let Some(&customer) = upcoming.first() else {
            return Ok(());
        };
        if self.reserved.front() == Some(&customer) {
            self.reserved.pop_front();
            return Ok(());
        }
        self.resize_group();
        let mut commit = std::mem::take(&mut self.outcomes);
        // Not reached in order (cannot happen when sending in order): take them back.
        for stale in self.reserved.drain(..) {
            commit.delete_ledger(self.run, self.node, stale);
        }
        for &next in upcoming.iter().take(self.group) {
            commit.ledger(self.run, self.node, next, LedgerState::Intent);
            self.reserved.push_back(next);
        }
        self.write(commit)?;
        crate::engine::crash_point::reached("email-intents-flushed");
        self.reserved.pop_front();
        self.group_started = Instant::now();
        self.group_sent = 0;
        Ok(())
    }

    /// Records the outcome of a message the transport answered.
    pub fn after_send(
        &mut self,
        customer: u64,
        state: LedgerState,
        stat: Option<Stat>,
    ) -> Result<()> {
        self.group_sent += 1;
        self.outcomes.ledger(self.run, self.node, customer, state);
        if let Some(stat) = stat {
            self.outcomes
                .stat(&stat.scenario, stat.date, &stat.group, stat.action, 1);
        }
        if self.last_flush.elapsed() >= WINDOW {
            let commit = std::mem::take(&mut self.outcomes);
            self.write(commit)?;
        }
        Ok(())
    }

    /// Writes the outcomes left and takes back the intents of customers never handed to the
    /// transport.
    pub fn finish(mut self) -> Result<()> {
        let mut commit = std::mem::take(&mut self.outcomes);
        for customer in self.reserved.drain(..) {
            commit.delete_ledger(self.run, self.node, customer);
        }
        if commit.is_empty() {
            return Ok(());
        }
        self.write(commit)
    }

    /// Sizes the next group to what the transport sent in about [`WINDOW`] last time.
    fn resize_group(&mut self) {
        if self.group_sent == 0 {
            return;
        }
        let per_message = self.group_started.elapsed() / self.group_sent as u32;
        let fit = WINDOW.as_nanos() / per_message.as_nanos().max(1);
        self.group = (fit as usize).clamp(1, MAX_GROUP);
    }

    fn write(&mut self, commit: Commit) -> Result<()> {
        self.state.commit(commit)?;
        if self.durable {
            self.state.flush()?;
        }
        self.last_flush = Instant::now();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(state: &EngineState, customer: u64) -> Option<LedgerState> {
        state.ledger(7, 3, customer).unwrap()
    }

    #[test]
    fn the_first_intent_is_written_alone_and_groups_grow_with_a_fast_transport() {
        let state = EngineState::in_memory();
        let upcoming: Vec<u64> = (1..=100).collect();
        let mut ledger = Confirmations::new(&state, false, 7, 3);
        ledger.before_send(&upcoming).unwrap();
        assert_eq!(entry(&state, 1), Some(LedgerState::Intent));
        assert_eq!(entry(&state, 2), None, "only the first message's intent");
        ledger.after_send(1, LedgerState::Done, None).unwrap();
        // An instant transport: the next group is as large as allowed.
        ledger.before_send(&upcoming[1..]).unwrap();
        assert_eq!(
            entry(&state, 1),
            Some(LedgerState::Done),
            "written with the intents"
        );
        let intents = (2..=100)
            .filter(|&c| entry(&state, c) == Some(LedgerState::Intent))
            .count();
        // As large as allowed, unless this test was descheduled for milliseconds.
        assert!((2..=MAX_GROUP).contains(&intents), "{intents} intents");
    }

    #[test]
    fn a_slow_transport_gets_one_intent_per_message() {
        let state = EngineState::in_memory();
        let upcoming = [1, 2, 3];
        let mut ledger = Confirmations::new(&state, false, 7, 3);
        for position in 0..upcoming.len() {
            ledger.before_send(&upcoming[position..]).unwrap();
            let customer = upcoming[position];
            assert_eq!(entry(&state, customer), Some(LedgerState::Intent));
            for &later in &upcoming[position + 1..] {
                assert_eq!(entry(&state, later), None);
            }
            std::thread::sleep(WINDOW + Duration::from_millis(5));
            ledger
                .after_send(customer, LedgerState::Done, None)
                .unwrap();
            assert_eq!(
                entry(&state, customer),
                Some(LedgerState::Done),
                "flushed once the window passed"
            );
        }
        ledger.finish().unwrap();
    }

    #[test]
    fn finishing_takes_back_intents_never_sent_and_keeps_outcomes_and_stats() {
        let state = EngineState::in_memory();
        let upcoming: Vec<u64> = (1..=40).collect();
        let mut ledger = Confirmations::new(&state, false, 7, 3);
        ledger.before_send(&upcoming).unwrap();
        ledger.after_send(1, LedgerState::Done, None).unwrap();
        ledger.before_send(&upcoming[1..]).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let stat = Stat {
            scenario: "s".into(),
            date,
            group: "gmail".into(),
            action: "failed",
        };
        ledger
            .after_send(2, LedgerState::Failed, Some(stat))
            .unwrap();
        // Stopped here: customers 3.. were reserved but never handed to the transport.
        ledger.finish().unwrap();
        assert_eq!(entry(&state, 1), Some(LedgerState::Done));
        assert_eq!(entry(&state, 2), Some(LedgerState::Failed));
        assert!((3..=40).all(|c| entry(&state, c).is_none()));
        assert_eq!(state.stat("s", date, "gmail", "failed").unwrap(), 1);
    }
}
