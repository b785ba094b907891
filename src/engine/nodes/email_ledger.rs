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
            commit.clear_ledger(self.run, self.node, stale);
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
            commit.clear_ledger(self.run, self.node, customer);
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
