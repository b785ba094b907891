//! E-mails whose sending a crash interrupted, for an operator to settle deliberately
//! (`warmup uncertain`): list them, dismiss them (never sent, no longer reported) or resend
//! them, once each, through the same delivery and ledger as a wave.
//!
//! An entry is uncertain when a restart found its intent without an outcome, or still an
//! intent when nothing is sending (the command holds the store, so no tick is running): the
//! message may or may not have reached the server, so only a person can decide.

use chrono::{DateTime, Utc};
use petgraph::graph::NodeIndex;

use super::actions_port::ActionOutcome;
use super::error::{EngineError, Result};
use super::nodes::email_ledger::Confirmations;
use super::runner::Engine;
use super::state::{Commit, LedgerState, RunId};
use super::wave::Wave;
use crate::scenario::compiled::NodeKind;

/// One uncertain e-mail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UncertainEmail {
    /// Run id.
    pub run: RunId,
    /// Scenario of the run.
    pub scenario: String,
    /// E-mail node id (`#INDEX` when the run's scenario version is not available).
    pub node: String,
    /// Node index in the run's scenario version.
    #[serde(skip)]
    pub index: u32,
    /// Customer id.
    pub customer: u64,
    /// `uncertain` (found by a restart) or `interrupted` (its intent is still open).
    pub state: &'static str,
}

impl Engine {
    /// Every uncertain e-mail, in run, node and customer order.
    pub fn uncertain_emails(&self) -> Result<Vec<UncertainEmail>> {
        let runs = self.state.runs()?;
        let mut found = Vec::new();
        for (state, name) in [
            (LedgerState::Uncertain, "uncertain"),
            (LedgerState::Intent, "interrupted"),
        ] {
            for (run, index, customer) in self.state.ledger_in(state)? {
                let record = runs.iter().find(|record| record.id == run);
                let node = record
                    .and_then(|record| self.scenario_of(record).ok())
                    .and_then(|scenario| {
                        scenario
                            .graph()
                            .node_weight(NodeIndex::new(index as usize))
                            .map(|node| node.id.clone())
                    })
                    .unwrap_or_else(|| format!("#{index}"));
                found.push(UncertainEmail {
                    run,
                    scenario: record.map(|r| r.scenario.clone()).unwrap_or_default(),
                    node,
                    index,
                    customer,
                    state: name,
                });
            }
        }
        found.sort_by_key(|e| (e.run, e.index, e.customer));
        Ok(found)
    }

    /// Marks uncertain e-mails dismissed: never sent, no longer reported.
    pub fn dismiss_emails(&self, emails: &[UncertainEmail]) -> Result<()> {
        let mut commit = Commit::new();
        for email in emails {
            commit.ledger(
                email.run,
                email.index,
                email.customer,
                LedgerState::Dismissed,
            );
        }
        self.state.commit(commit)?;
        self.flush()
    }

    /// Sends an uncertain e-mail again, at `now`, as its node would: intent first, outcome
    /// after, a `campaign` event marked `resent`. The customer's token does not move (it
    /// went on through `on_failure` or ended when the send was found uncertain).
    pub fn resend_email(
        &self,
        email: &UncertainEmail,
        now: DateTime<Utc>,
    ) -> Result<ActionOutcome> {
        let current = self.state.ledger(email.run, email.index, email.customer)?;
        if !matches!(current, Some(LedgerState::Uncertain | LedgerState::Intent)) {
            return Err(EngineError::Action(format!(
                "the e-mail of run {} node {} to customer {} is no longer uncertain",
                email.run, email.node, email.customer
            )));
        }
        let record = self
            .state
            .run(email.run)?
            .ok_or_else(|| EngineError::Corrupt {
                what: "ledger",
                detail: format!("an e-mail of unknown run {}", email.run),
            })?;
        let context = self.context(record)?;
        let node = NodeIndex::new(email.index as usize);
        let kind = context.scenario.graph().node_weight(node).map(|n| &n.kind);
        let Some(NodeKind::Email(definition)) = kind else {
            return Err(EngineError::Corrupt {
                what: "ledger",
                detail: format!(
                    "run {} node #{} is not an e-mail node",
                    email.run, email.index
                ),
            });
        };
        let customer = self.access.customer(email.customer)?.ok_or_else(|| {
            EngineError::Action(format!(
                "customer {} is no longer in the store",
                email.customer
            ))
        })?;
        let event = self
            .state
            .token(email.run, email.customer)?
            .and_then(|token| token.event);
        let env = self.wave_env(now);
        let mut wave = Wave::new(&env, &context, now);
        let mut ledger = Confirmations::new(&self.state, env.durable, email.run, email.index);
        ledger.before_send(&[email.customer])?;
        let delivery = wave.deliver(node, definition, &customer, event.as_ref(), true)?;
        ledger.after_send(email.customer, delivery.state, delivery.stat)?;
        ledger.finish()?;
        Ok(delivery.outcome)
    }
}
