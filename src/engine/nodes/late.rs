//! Before an e-mail goes out: is it still in time, and is it the customer's only e-mail of
//! the scenario's daily flow on its local day?
//!
//! Lateness: the wave runs at the instant it was due, the tick at the real instant. A send
//! later than its node's `late` policy allows (default: once the local day it was due on is
//! over) is skipped and counted as `late_skipped`; it is never carried into another day.
//!
//! One e-mail per customer and local day: the first scheduled run of a scenario that
//! e-mails a customer on a local day claims that day (with the send's intent, so a crash
//! cannot free it); another run of the scenario reaching the same customer on the same day
//! (a caught-up run overlapping the next day's) skips them, counted as `duplicate_skipped`.

use petgraph::graph::NodeIndex;

use crate::engine::error::Result;
use crate::engine::state::Commit;
use crate::engine::token::{Skip, Token};
use crate::engine::wave::Wave;
use crate::scenario::model::{EmailNode, LateAction, LatePolicy};
use crate::scenario::time::parse_duration;

impl Wave<'_> {
    /// Lets a token on to be e-mailed, or ends its path (counted) when the send is too late
    /// or another run of the scenario already e-mails the customer on this local day.
    pub(crate) fn admit_email(
        &mut self,
        node: NodeIndex,
        email: &EmailNode,
        token: Token,
    ) -> Result<Option<Token>> {
        if self.too_late(email.late.as_ref()) {
            self.summary.late_skipped += 1;
            self.skip(node, token, Skip::Late)?;
            return Ok(None);
        }
        if self.run.is_scheduled() {
            let scenario = &self.run.run.scenario;
            let claimed = self
                .env
                .state
                .mailed(scenario, self.date, token.customer.id)?;
            if claimed.is_some_and(|run| run != self.run.run.id) {
                self.summary.duplicates_skipped += 1;
                self.skip(node, token, Skip::Duplicate)?;
                return Ok(None);
            }
        }
        Ok(Some(token))
    }

    /// Claims the local day of each customer about to be e-mailed by a scheduled run.
    pub(crate) fn claim_days(&self, tokens: &[Token], commit: &mut Commit) {
        if !self.run.is_scheduled() {
            return;
        }
        for token in tokens {
            commit.mailed(
                &self.run.run.scenario,
                self.date,
                token.customer.id,
                self.run.run.id,
            );
        }
    }

    /// Whether a send due at the wave's instant is too late at the tick's real instant.
    fn too_late(&self, policy: Option<&LatePolicy>) -> bool {
        let real = self.env.real;
        if real <= self.now {
            return false;
        }
        let default = LatePolicy::default();
        let policy = policy.unwrap_or(&default);
        let late = match policy.after.as_deref().and_then(|t| parse_duration(t).ok()) {
            Some(after) => chrono::Duration::from_std(after)
                .is_ok_and(|after| real.signed_duration_since(self.now) > after),
            None => self.run.local_date(real) != self.date,
        };
        late && policy.then == LateAction::Skip
    }
}
