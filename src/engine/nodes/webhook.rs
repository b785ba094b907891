//! `webhook`: calls for batches of tokens, at least once, with a ledger.
//!
//! A customer whose call is in the ledger as done is not called again when a wave is replayed
//! after a crash; a duplicate is possible only when the process dies between the remote
//! answer and the ledger write that follows each call, so at most one batch per crash.

use petgraph::graph::NodeIndex;

use crate::engine::actions_port::{ActionOutcome, WebhookItem, WebhookRequest};
use crate::engine::error::Result;
use crate::engine::state::{Commit, LedgerState};
use crate::engine::step::StepFailure;
use crate::engine::token::Token;
use crate::engine::wave::Wave;
use crate::scenario::compiled::Port;
use crate::scenario::model::{Preset, WebhookNode};

/// Customers per call: the node's batch size, capped by its preset, at least 1.
pub fn batch_size(node: &WebhookNode) -> usize {
    let size = node.batch.as_ref().map_or(1, |b| b.size.max(1));
    match node.preset {
        Some(preset) => size.min(preset.max_batch()),
        None => size,
    }
}

/// A Klaviyo list call (`klaviyo.add_to_list` / `remove_from_list` with the default
/// `profile_id`) for a customer without a Klaviyo profile: Klaviyo cannot mail a profile it
/// does not have, so there is nothing to add or remove, and the customer moves on.
fn nothing_to_do(webhook: &WebhookNode, token: &Token) -> bool {
    matches!(
        webhook.preset,
        Some(Preset::KlaviyoAddToList | Preset::KlaviyoRemoveFromList)
    ) && !webhook.with.contains_key("profile_id")
        && token
            .customer
            .value("klaviyo_id")
            .is_none_or(|id| id.as_str().is_some_and(|id| id.trim().is_empty()) || id.is_null())
}

impl Wave<'_> {
    /// Calls the webhook for a batch of tokens and moves each on by its outcome.
    pub(crate) fn webhook_flush(
        &mut self,
        node: NodeIndex,
        webhook: &WebhookNode,
        tokens: Vec<Token>,
    ) -> Result<()> {
        let run = self.run.run.id;
        let index = node.index() as u32;
        let mut to_call = Vec::with_capacity(tokens.len());
        for token in tokens {
            if nothing_to_do(webhook, &token) {
                self.summary.webhook_skipped += 1;
                self.leave(node, token, Port::Next, true)?;
                continue;
            }
            match self.env.state.ledger(run, index, token.customer.id)? {
                Some(LedgerState::Done) => self.leave(node, token, Port::Next, true)?,
                _ => to_call.push(token),
            }
        }
        if to_call.is_empty() {
            return Ok(());
        }
        self.stop_point()?;
        let items = to_call
            .iter()
            .map(|token| WebhookItem {
                customer: token.customer.id,
                context: self.run.customer_context(
                    &token.customer,
                    token.event.as_deref(),
                    self.now,
                ),
            })
            .collect();
        let scenario = self.run.scenario.clone();
        let request = WebhookRequest {
            scenario: scenario.name(),
            run,
            node: &scenario.node(node).id,
            definition: webhook,
            items,
            now: self.now,
        };
        let outcomes = self.env.actions.webhook(&request);
        crate::engine::crash_point::reached("webhook-answered");
        self.summary.webhook_calls += 1;
        // The "done" entries also travel with the tokens, but those are written only when
        // the wave commits, after every later batch. Writing them now keeps the duplicate
        // window to the batch just answered: a crash repeats at most this one call.
        let mut done = Commit::new();
        for (token, outcome) in to_call.iter().zip(&outcomes) {
            if matches!(outcome, ActionOutcome::Done) {
                done.ledger(run, index, token.customer.id, LedgerState::Done);
            }
        }
        self.env.state.commit(done)?;
        if self.env.durable {
            self.env.state.flush()?;
        }
        for (position, mut token) in to_call.into_iter().enumerate() {
            let outcome = outcomes
                .get(position)
                .cloned()
                .unwrap_or_else(|| ActionOutcome::Failed("no outcome for this customer".into()));
            token.effects = true;
            match outcome {
                ActionOutcome::Done => {
                    token.ledger(run, index, LedgerState::Done);
                    self.leave(node, token, Port::Next, true)?;
                }
                ActionOutcome::Failed(reason) | ActionOutcome::Bounced(reason) => {
                    token.ledger(run, index, LedgerState::Failed);
                    self.fail(node, token, StepFailure::Customer(reason))?;
                }
            }
        }
        Ok(())
    }
}
