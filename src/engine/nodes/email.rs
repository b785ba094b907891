//! `email`: at most once per (run, node, customer), through an intent/commit ledger.
//!
//! Before each e-mail is handed to the transport its intent is durable; its outcome is
//! written as soon as the server answered and flushed within a few milliseconds (see
//! [`super::email_ledger`]). After a crash, an intent without an outcome means "may have
//! been sent": it is reported as uncertain and never sent again, unless an operator resends
//! it deliberately (`warmup uncertain resend`).

use petgraph::graph::NodeIndex;
use serde_json::Map;

use super::email_ledger::{Confirmations, Stat};
use crate::engine::actions_port::{ActionOutcome, EmailRequest};
use crate::engine::customers::{CustomerEvent, CustomerView};
use crate::engine::error::{EngineError, Result};
use crate::engine::state::{Commit, LedgerState};
use crate::engine::step::StepFailure;
use crate::engine::token::Token;
use crate::engine::wave::Wave;
use crate::scenario::compiled::Port;
use crate::scenario::model::EmailNode;

/// E-mails buffered at a node before they are sent: a wave sends in chunks of this many, and
/// a stop requested during a wave is honoured between two e-mails.
pub const CHUNK: usize = 64;

/// What became of one e-mail handed to the transport (or refused before it).
pub(crate) struct Delivery {
    /// The transport's answer, or why nothing was sent.
    pub outcome: ActionOutcome,
    /// The ledger state it records.
    pub state: LedgerState,
    /// The campaign statistic it counts, with its confirmation.
    pub stat: Option<Stat>,
}

impl Wave<'_> {
    /// Sends the e-mails of a chunk of tokens.
    pub(crate) fn email_flush(
        &mut self,
        node: NodeIndex,
        email: &EmailNode,
        tokens: Vec<Token>,
    ) -> Result<()> {
        let to_send = self.email_unsent(node, email, tokens)?;
        if to_send.is_empty() {
            return Ok(());
        }
        let result = self.email_send(node, email, to_send);
        if matches!(result, Err(EngineError::Stopped)) {
            // What the wave settled so far is kept; the tokens not sent stay due.
            return self.stop_point();
        }
        result
    }

    /// The tokens whose e-mail was never attempted; the others move on (sent) or fail (an
    /// earlier attempt failed or may have been sent).
    fn email_unsent(
        &mut self,
        node: NodeIndex,
        email: &EmailNode,
        tokens: Vec<Token>,
    ) -> Result<Vec<Token>> {
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
                Some(LedgerState::Failed | LedgerState::Uncertain | LedgerState::Dismissed) => {
                    let reason = "an earlier attempt of this e-mail failed or is uncertain";
                    self.fail(node, token, StepFailure::Customer(reason.into()))?;
                }
            }
        }
        Ok(to_send)
    }

    /// Sends each e-mail with its intent durable first and its outcome confirmed after;
    /// stops between two e-mails when asked to.
    fn email_send(
        &mut self,
        node: NodeIndex,
        email: &EmailNode,
        to_send: Vec<Token>,
    ) -> Result<()> {
        let run = self.run.run.id;
        let index = node.index() as u32;
        let ids: Vec<u64> = to_send.iter().map(|token| token.customer.id).collect();
        // The customers' local days are claimed before any of them is sent; the first group
        // of intents flushes the claims with it.
        let mut claims = Commit::new();
        self.claim_days(&to_send, &mut claims);
        self.env.state.commit(claims)?;
        let mut ledger = Confirmations::new(self.env.state, self.env.durable, run, index);
        let mut sent = Ok(());
        for (position, token) in to_send.into_iter().enumerate() {
            if self.env.stop.requested() {
                sent = Err(EngineError::Stopped);
                break;
            }
            sent = self.email_one(node, email, token, &ids[position..], &mut ledger);
            if sent.is_err() {
                break;
            }
        }
        let finished = ledger.finish();
        sent.and(finished)
    }

    /// One e-mail through the ledger.
    fn email_one(
        &mut self,
        node: NodeIndex,
        email: &EmailNode,
        token: Token,
        upcoming: &[u64],
        ledger: &mut Confirmations<'_>,
    ) -> Result<()> {
        ledger.before_send(upcoming)?;
        let customer = token.customer.id;
        let delivery = self.deliver(node, email, &token.customer, token.event.as_deref(), false)?;
        crate::engine::crash_point::reached("email-sent");
        ledger.after_send(customer, delivery.state, delivery.stat)?;
        self.after_delivery(node, token, delivery.outcome)
    }

    /// Moves a token on after its e-mail: `next` when sent, else `on_failure`.
    fn after_delivery(
        &mut self,
        node: NodeIndex,
        mut token: Token,
        outcome: ActionOutcome,
    ) -> Result<()> {
        // The ledger entry travels with the token too: a token stored as ended always comes
        // with its outcome, even when the confirmation did not reach the disk.
        let (run, index) = (self.run.run.id, node.index() as u32);
        token.effects = true;
        match outcome {
            ActionOutcome::Done => {
                self.summary.emails += 1;
                token.ledger(run, index, LedgerState::Done);
                self.leave(node, token, Port::Next, true)
            }
            ActionOutcome::Failed(reason) | ActionOutcome::Bounced(reason) => {
                token.ledger(run, index, LedgerState::Failed);
                self.fail(node, token, StepFailure::Customer(reason))
            }
        }
    }

    /// Renders and sends one e-mail and records its `campaign` event; the ledger and the
    /// token are the caller's.
    pub(crate) fn deliver(
        &mut self,
        node: NodeIndex,
        email: &EmailNode,
        customer: &CustomerView,
        event: Option<&serde_json::Value>,
        resent: bool,
    ) -> Result<Delivery> {
        let run = self.run.run.id;
        let scenario = self.run.scenario.clone();
        let node_id = scenario.node(node).id.clone();
        let context = self.run.customer_context(customer, event, self.now);
        let template = match crate::template::render(self.env.env, &email.template, &context) {
            Ok(template) => template,
            Err(e) => {
                return Ok(Delivery {
                    outcome: ActionOutcome::Failed(e.to_string()),
                    state: LedgerState::Failed,
                    stat: None,
                })
            }
        };
        let provider = self.run.provider_of(customer);
        let to = customer
            .value("email")
            .and_then(|v| v.as_str().map(str::to_owned))
            .filter(|to| !to.trim().is_empty());
        let (outcome, message_id) = match &to {
            None => (
                ActionOutcome::Failed("the customer has no e-mail address".into()),
                None,
            ),
            Some(to) => self.env.actions.email_with_id(&EmailRequest {
                scenario: scenario.name(),
                run,
                node: &node_id,
                definition: email,
                customer: customer.id,
                to,
                template: &template,
                provider: &provider,
                day: self.run.day(),
                context: &context,
                now: self.now,
            }),
        };
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
        if let Some(message_id) = message_id {
            properties.insert("message_id".into(), message_id.into());
        }
        // The event is at the instant the send was due (what later decisions read); when it
        // really went out is kept beside it.
        properties.insert("sent_at".into(), self.env.real.to_rfc3339().into());
        if let ActionOutcome::Failed(reason) | ActionOutcome::Bounced(reason) = &outcome {
            properties.insert("reason".into(), reason.clone().into());
        }
        if resent {
            properties.insert("resent".into(), true.into());
        }
        let event = CustomerEvent {
            event_type: "campaign".into(),
            timestamp: self.now,
            properties,
        };
        self.env.access.record_event(customer.id, &event)?;
        // Bounces are counted by the feedback reader from the event log, like remote ones.
        let stat = (action != "bounced").then(|| Stat {
            scenario: scenario.name().to_owned(),
            date: self.date,
            group: provider,
            action,
        });
        let state = match outcome {
            ActionOutcome::Done => LedgerState::Done,
            ActionOutcome::Failed(_) | ActionOutcome::Bounced(_) => LedgerState::Failed,
        };
        Ok(Delivery {
            outcome,
            state,
            stat,
        })
    }
}
