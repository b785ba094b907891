//! `email`: at most once per (run, node, customer), through an intent/commit ledger.
//!
//! Before a chunk of e-mails is sent, an intent per customer is written and flushed. After
//! each send, the confirmation travels with the token's next record. After a crash, an intent
//! without confirmation means "may have been sent": it is reported as uncertain and never
//! sent again.

use petgraph::graph::NodeIndex;
use serde_json::Map;

use crate::engine::actions_port::{ActionOutcome, EmailRequest};
use crate::engine::customers::CustomerEvent;
use crate::engine::error::Result;
use crate::engine::state::{Commit, LedgerState};
use crate::engine::step::StepFailure;
use crate::engine::token::Token;
use crate::engine::wave::Wave;
use crate::scenario::compiled::Port;
use crate::scenario::model::EmailNode;

/// E-mails per ledger chunk: one flush of intents per chunk, and at most this many e-mails
/// left uncertain by a crash.
pub const CHUNK: usize = 64;

impl Wave<'_> {
    /// Sends the e-mails of a chunk of tokens.
    pub(crate) fn email_flush(
        &mut self,
        node: NodeIndex,
        email: &EmailNode,
        tokens: Vec<Token>,
    ) -> Result<()> {
        let run = self.run.run.id;
        let index = node.index() as u32;
        let mut to_send = Vec::with_capacity(tokens.len());
        for token in tokens {
            match self.env.state.ledger(run, index, token.customer.id)? {
                None => {
                    if let Some(token) = self.admit_email(node, email, token)? {
                        to_send.push(token);
                    }
                }
                Some(LedgerState::Done) => self.leave(node, token, Port::Next, true)?,
                Some(LedgerState::Intent) => {
                    let mut token = token;
                    self.summary.uncertain += 1;
                    tracing::warn!(
                        run,
                        customer = token.customer.id,
                        "e-mail may have been sent before a crash; not sending it again"
                    );
                    token.effects = true;
                    token.ledger(run, index, LedgerState::Uncertain);
                    let reason = "sending was started before a crash and not confirmed; not resent";
                    self.fail(node, token, StepFailure::Customer(reason.into()))?;
                }
                Some(LedgerState::Failed | LedgerState::Uncertain) => {
                    let reason = "an earlier attempt of this e-mail failed or is uncertain";
                    self.fail(node, token, StepFailure::Customer(reason.into()))?;
                }
            }
        }
        if to_send.is_empty() {
            return Ok(());
        }
        let mut intents = Commit::new();
        for token in &to_send {
            intents.ledger(run, index, token.customer.id, LedgerState::Intent);
        }
        self.claim_days(&to_send, &mut intents);
        self.env.state.commit(intents)?;
        if self.env.durable {
            self.env.state.flush()?;
        }
        crate::engine::crash_point::reached("email-intents-flushed");
        let mut resolved = Commit::new();
        for token in to_send {
            let customer = token.customer.id;
            let state = self.send_one(node, email, token)?;
            resolved.ledger(run, index, customer, state);
        }
        // The outcomes also travel with the tokens, but those are written only when the wave
        // commits (up to thousands of tokens later). Writing them now keeps a crash from
        // turning the whole wave's sent e-mails into "uncertain": it costs one flush per
        // chunk, and a crash leaves at most the chunk being sent uncertain.
        self.env.state.commit(resolved)?;
        if self.env.durable {
            self.env.state.flush()?;
        }
        Ok(())
    }

    /// Sends one e-mail and moves its token on; returns the ledger state it recorded.
    fn send_one(
        &mut self,
        node: NodeIndex,
        email: &EmailNode,
        mut token: Token,
    ) -> Result<LedgerState> {
        let run = self.run.run.id;
        let index = node.index() as u32;
        let scenario = self.run.scenario.clone();
        let node_id = scenario.node(node).id.clone();
        let context = self
            .run
            .customer_context(&token.customer, token.event.as_deref(), self.now);
        let template = match crate::template::render(self.env.env, &email.template, &context) {
            Ok(template) => template,
            Err(e) => {
                token.ledger(run, index, LedgerState::Failed);
                self.fail(node, token, StepFailure::Customer(e.to_string()))?;
                return Ok(LedgerState::Failed);
            }
        };
        let provider = self.run.provider_of(&token.customer);
        let to = token
            .customer
            .value("email")
            .and_then(|v| v.as_str().map(str::to_owned))
            .filter(|to| !to.trim().is_empty());
        let outcome = match &to {
            None => ActionOutcome::Failed("the customer has no e-mail address".into()),
            Some(to) => self.env.actions.email(&EmailRequest {
                scenario: scenario.name(),
                run,
                node: &node_id,
                definition: email,
                customer: token.customer.id,
                to,
                template: &template,
                provider: &provider,
                day: self.run.day(),
                context: &context,
                now: self.now,
            }),
        };
        crate::engine::crash_point::reached("email-sent");
        let action = match outcome {
            ActionOutcome::Done => "delivered",
            ActionOutcome::Failed(_) => "failed",
            ActionOutcome::Bounced(_) => "bounced",
        };
        let mut properties = Map::new();
        properties.insert("action".into(), action.into());
        properties.insert("scenario".into(), scenario.name().into());
        properties.insert("node".into(), node_id.into());
        properties.insert("run".into(), run.into());
        properties.insert("template".into(), template.into());
        properties.insert("day".into(), self.run.day().into());
        properties.insert("mailbox_provider".into(), provider.clone().into());
        // The event is at the instant the send was due (what later decisions read); when it
        // really went out is kept beside it.
        properties.insert("sent_at".into(), self.env.real.to_rfc3339().into());
        if let ActionOutcome::Failed(reason) | ActionOutcome::Bounced(reason) = &outcome {
            properties.insert("reason".into(), reason.clone().into());
        }
        let event = CustomerEvent {
            event_type: "campaign".into(),
            timestamp: self.now,
            properties,
        };
        self.env.access.record_event(token.customer.id, &event)?;
        token.effects = true;
        let date = self.date;
        // Bounces are counted by the feedback reader from the event log, like remote ones.
        if action != "bounced" {
            token
                .pending()
                .stat(scenario.name(), date, &provider, action, 1);
        }
        match outcome {
            ActionOutcome::Done => {
                self.summary.emails += 1;
                token.ledger(run, index, LedgerState::Done);
                self.leave(node, token, Port::Next, true)?;
                Ok(LedgerState::Done)
            }
            ActionOutcome::Failed(reason) | ActionOutcome::Bounced(reason) => {
                token.ledger(run, index, LedgerState::Failed);
                self.fail(node, token, StepFailure::Customer(reason))?;
                Ok(LedgerState::Failed)
            }
        }
    }
}
