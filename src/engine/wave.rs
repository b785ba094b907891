//! A wave: the tokens of one run that reach nodes at one instant, processed together.
//!
//! Tokens are pushed through the DAG one by one as they stream in (from the trigger's
//! audience or from a group of parked tokens). Streaming nodes (condition, split,
//! set_property, add_event, wait) handle each token at once; barrier nodes collect: a limit
//! keeps the best `cap` tokens per group in a bounded heap (so memory stays bounded by the
//! caps, not the audience), webhooks and e-mails fill batches. When the stream ends, the
//! barriers are flushed in topological order, so each sees its whole wave.
//!
//! Durability: a token is written only where it parks or when it ends after a side effect,
//! in one batch with its counters, cap usage and ledger entries. Counters of tokens that
//! end without a trace in a trigger wave are written with the wave's final commit, so a
//! wave replayed after a crash counts them once.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use petgraph::graph::NodeIndex;

use super::actions_port::Actions;
use super::context::RunContext;
use super::customers::CustomerAccess;
use super::error::Result;
use super::nodes::limit::LimitAcc;
use super::predicate::Evaluation;
use super::state::{Commit, EngineState, TokenRecord, TokenState};
use super::step::StepFailure;
use super::token::{Mark, Origin, Skip, Step, Token};
use crate::scenario::compiled::{NodeKind, Port};

/// Commit settled tokens in chunks of about this many changes.
const CHUNK: usize = 4096;

/// What a wave needs from the engine.
pub struct WaveEnv<'a> {
    /// Customers.
    pub access: &'a dyn CustomerAccess,
    /// Engine state.
    pub state: &'a EngineState,
    /// Side effects.
    pub actions: &'a dyn Actions,
    /// Templates.
    pub env: &'a minijinja::Environment<'static>,
    /// Whether the state is on disk (e-mail intents are flushed before sending).
    pub durable: bool,
    /// Raised to stop between e-mails and webhook calls (shutdown).
    pub stop: &'a super::stop::StopFlag,
    /// The real instant of the tick processing the wave (the wave's own "now" is the
    /// instant it was due): what really happened is recorded at it, and lateness is
    /// measured against it.
    pub real: DateTime<Utc>,
}

/// What a wave did, for the tick's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaveSummary {
    /// Tokens that went through.
    pub tokens: u64,
    /// E-mails sent.
    pub emails: u64,
    /// E-mails not sent because an earlier attempt was not confirmed.
    pub uncertain: u64,
    /// Webhook calls made.
    pub webhook_calls: u64,
    /// Customers whose step failed (they left through `on_failure` or ended).
    pub failed: u64,
    /// The failures by node, with their reasons.
    pub failures: super::failures::FailureTally,
    /// Customers a Klaviyo list call had nothing to do for (no `klaviyo_id`).
    pub webhook_skipped: u64,
    /// E-mails skipped by their node's `late` policy.
    pub late_skipped: u64,
    /// E-mails skipped because the customer already got one from another run of the
    /// scenario on the same local day.
    pub duplicates_skipped: u64,
}

/// One wave of one run.
pub struct Wave<'a> {
    pub(super) env: &'a WaveEnv<'a>,
    pub(super) run: &'a RunContext,
    pub(super) now: DateTime<Utc>,
    pub(super) date: NaiveDate,
    pub(super) commit: Commit,
    quiet: HashMap<(NodeIndex, Mark, bool), i64>,
    pub(super) limits: HashMap<NodeIndex, LimitAcc>,
    pub(super) buffers: HashMap<NodeIndex, Vec<Token>>,
    order: Vec<NodeIndex>,
    pub(super) summary: WaveSummary,
}

impl<'a> Wave<'a> {
    /// A wave of `run` due at `now`: every decision in it is taken at that instant.
    pub fn new(env: &'a WaveEnv<'a>, run: &'a RunContext, now: DateTime<Utc>) -> Self {
        let order = petgraph::algo::toposort(run.scenario.graph(), None).unwrap_or_default();
        Self {
            env,
            run,
            now,
            date: run.local_date(now),
            commit: Commit::new(),
            quiet: HashMap::new(),
            limits: HashMap::new(),
            buffers: HashMap::new(),
            order,
            summary: WaveSummary::default(),
        }
    }

    /// The predicate evaluation of this wave.
    pub(super) fn evaluation(&self) -> Evaluation<'_> {
        Evaluation {
            access: self.env.access,
            run: self.run,
            env: self.env.env,
            now: self.now,
        }
    }

    /// Enters a token at a trigger: it leaves through `next`.
    pub fn enter_at_trigger(&mut self, trigger: NodeIndex, token: Token) -> Result<()> {
        self.summary.tokens += 1;
        self.leave(trigger, token, Port::Next, true)
    }

    /// Wakes a parked token at its wait node: it leaves through `next`.
    pub fn wake(&mut self, node: NodeIndex, token: Token) -> Result<()> {
        self.summary.tokens += 1;
        self.leave(node, token, Port::Next, false)
    }

    /// A token arrives at a node.
    pub(super) fn arrive(&mut self, node: NodeIndex, token: Token) -> Result<()> {
        let scenario = self.run.scenario.clone();
        match &scenario.node(node).kind {
            NodeKind::OnDate(_) | NodeKind::Repeat(_) | NodeKind::OnEvent(_) => {
                self.leave(node, token, Port::Next, true)
            }
            NodeKind::Condition(condition) => {
                let holds = self.evaluation().holds(
                    &condition.predicate,
                    &token.customer,
                    token.event.as_deref(),
                );
                match holds {
                    Ok(true) => self.leave(node, token, Port::Yes, true),
                    Ok(false) => self.leave(node, token, Port::No, true),
                    Err(failure) => self.fail(node, token, failure),
                }
            }
            NodeKind::Split(split) => {
                let port = super::nodes::split::branch(split, &scenario.node(node).id, &token);
                self.leave(node, token, port, true)
            }
            NodeKind::SetProperty(set) => self.set_property(node, set, token),
            NodeKind::AddEvent(add) => self.add_event(node, add, token),
            NodeKind::Wait(wait) => self.wait(node, wait, token),
            NodeKind::Limit(limit) => self.limit_arrive(node, limit, token),
            NodeKind::Webhook(webhook) => {
                let size = super::nodes::webhook::batch_size(webhook);
                let buffer = self.buffers.entry(node).or_default();
                buffer.push(token);
                if buffer.len() >= size {
                    let tokens = std::mem::take(buffer);
                    self.webhook_flush(node, webhook, tokens)?;
                }
                Ok(())
            }
            NodeKind::Email(email) => {
                let buffer = self.buffers.entry(node).or_default();
                buffer.push(token);
                if buffer.len() >= super::nodes::email::CHUNK {
                    let tokens = std::mem::take(buffer);
                    self.email_flush(node, email, tokens)?;
                }
                Ok(())
            }
        }
    }

    /// A token leaves a node through a port: on to the edge's target, or its path ends.
    pub(super) fn leave(
        &mut self,
        node: NodeIndex,
        mut token: Token,
        port: Port,
        entered: bool,
    ) -> Result<()> {
        token.path.push(Step {
            node,
            entered,
            mark: Mark::Left(port),
        });
        match self.run.scenario.follow(node, port) {
            Some(next) => self.arrive(next, token),
            None => self.end(token),
        }
    }

    /// A token's step failed: `on_failure` if the node has it, else its path ends.
    pub(super) fn fail(
        &mut self,
        node: NodeIndex,
        mut token: Token,
        failure: StepFailure,
    ) -> Result<()> {
        let reason = match failure {
            StepFailure::Engine(error) => return Err(error),
            StepFailure::Customer(reason) => reason,
        };
        self.summary.failed += 1;
        self.note_failure(node, &reason);
        tracing::debug!(
            scenario = %self.run.run.scenario,
            run = self.run.run.id,
            node = %self.run.scenario.node(node).id,
            customer = token.customer.id,
            "step failed: {reason}"
        );
        token.path.push(Step {
            node,
            entered: true,
            mark: Mark::Failed,
        });
        match self.run.scenario.follow(node, Port::OnFailure) {
            Some(next) => self.arrive(next, token),
            None => self.end(token),
        }
    }

    /// A token's step is skipped by a rule of the engine (counted under the reason's metric
    /// at the node): its path ends there.
    pub(super) fn skip(&mut self, node: NodeIndex, mut token: Token, skip: Skip) -> Result<()> {
        token.path.push(Step {
            node,
            entered: true,
            mark: Mark::Skipped(skip),
        });
        self.end(token)
    }

    /// Parks a token at a wait node until `due`.
    pub(super) fn park(
        &mut self,
        node: NodeIndex,
        mut token: Token,
        due: DateTime<Utc>,
    ) -> Result<()> {
        token.path.push(Step {
            node,
            entered: true,
            mark: Mark::Parked,
        });
        let record = TokenRecord {
            node: self.run.scenario.node(node).id.clone(),
            index: node.index() as u32,
            state: TokenState::Parked { due },
            event: token.event.as_deref().cloned(),
        };
        self.settle(token, Some(record))
    }

    /// A token's path is over.
    fn end(&mut self, token: Token) -> Result<()> {
        if token.leaves_trace() {
            let node = token.path.last().map(|s| s.node).unwrap_or_default();
            let record = TokenRecord {
                node: self.run.scenario.node(node).id.clone(),
                index: node.index() as u32,
                state: TokenState::Ended,
                event: None,
            };
            self.settle(token, Some(record))
        } else {
            // Aggregated in memory: the hot path of a large audience ending early.
            for step in &token.path {
                *self
                    .quiet
                    .entry((step.node, step.mark, step.entered))
                    .or_insert(0) += 1;
            }
            Ok(())
        }
    }

    /// Writes a token's record with everything its path implies.
    fn settle(&mut self, mut token: Token, record: Option<TokenRecord>) -> Result<()> {
        let run = self.run.run.id;
        let mut commit = std::mem::take(&mut self.commit);
        self.tally(&mut commit, &token.path);
        if let Origin::Woken(index, due) = token.origin {
            commit.unpark(run, index, due, token.customer.id);
        }
        if let Some(pending) = token.pending.take() {
            commit.absorb(*pending);
        }
        if let Some(record) = record {
            commit.put_token(run, token.customer.id, &record)?;
        }
        self.commit = commit;
        if self.commit.len() >= CHUNK {
            self.env.state.commit(std::mem::take(&mut self.commit))?;
            super::crash_point::reached("chunk-committed");
        }
        Ok(())
    }

    /// Adds a path's counters to a commit.
    fn tally(&self, commit: &mut Commit, path: &[Step]) {
        let run = self.run.run.id;
        for step in path {
            let id = &self.run.scenario.node(step.node).id;
            if step.entered {
                commit.count(run, self.date, id, "entered", 1);
            }
            match step.mark {
                Mark::Left(port) => commit.count(run, self.date, id, &port.to_string(), 1),
                Mark::Failed => commit.count(run, self.date, id, "failed", 1),
                Mark::Skipped(skip) => commit.count(run, self.date, id, skip.metric(), 1),
                Mark::Parked => {}
            }
        }
    }

    /// Flushes every barrier in topological order, then commits. `last` holds changes that
    /// belong to the end of the wave (the run's new status).
    pub fn finish(mut self, last: Commit) -> Result<WaveSummary> {
        let scenario = self.run.scenario.clone();
        for node in self.order.clone() {
            match &scenario.node(node).kind {
                NodeKind::Limit(limit) => self.limit_flush(node, limit)?,
                NodeKind::Webhook(webhook) => {
                    let tokens = self.buffers.remove(&node).unwrap_or_default();
                    let size = super::nodes::webhook::batch_size(webhook);
                    let mut tokens = tokens.into_iter().peekable();
                    while tokens.peek().is_some() {
                        let batch: Vec<Token> = tokens.by_ref().take(size).collect();
                        self.webhook_flush(node, webhook, batch)?;
                    }
                }
                NodeKind::Email(email) => {
                    let tokens = self.buffers.remove(&node).unwrap_or_default();
                    if !tokens.is_empty() {
                        self.email_flush(node, email, tokens)?;
                    }
                }
                _ => {}
            }
        }
        super::crash_point::reached("wave-finishing");
        let mut commit = std::mem::take(&mut self.commit);
        let run = self.run.run.id;
        for ((node, mark, entered), count) in std::mem::take(&mut self.quiet) {
            let id = &self.run.scenario.node(node).id;
            if entered {
                commit.count(run, self.date, id, "entered", count);
            }
            match mark {
                Mark::Left(port) => commit.count(run, self.date, id, &port.to_string(), count),
                Mark::Failed => commit.count(run, self.date, id, "failed", count),
                Mark::Skipped(skip) => commit.count(run, self.date, id, skip.metric(), count),
                Mark::Parked => {}
            }
        }
        commit.absorb(last);
        self.env.state.commit(commit)?;
        Ok(self.summary)
    }
}
