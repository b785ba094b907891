//! `wait`: parks a token until an instant (durably, when the state is on disk).

use chrono::{DateTime, NaiveDateTime, Utc};
use petgraph::graph::NodeIndex;

use crate::engine::error::Result;
use crate::engine::schedule::{next_local_time, resolve_local};
use crate::engine::step::StepFailure;
use crate::engine::token::Token;
use crate::engine::wave::Wave;
use crate::scenario::compiled::{Port, Wait};
use crate::scenario::time::{parse_bounded_duration, DurationProblem, MAX_DURATION};

impl Wave<'_> {
    /// Parks the token until the wait is over, or lets it through when that is now.
    pub(crate) fn wait(&mut self, node: NodeIndex, wait: &Wait, token: Token) -> Result<()> {
        let due = match self.due_of(wait, &token) {
            Ok(due) => due,
            Err(failure) => return self.fail(node, token, failure),
        };
        if due <= self.now {
            self.leave(node, token, Port::Next, true)
        } else {
            self.park(node, token, due)
        }
    }

    fn due_of(&self, wait: &Wait, token: &Token) -> Result<DateTime<Utc>, StepFailure> {
        let tz = self.run.scenario.timezone();
        Ok(match wait {
            Wait::For(duration) => later(self.now, *duration)?,
            Wait::Until(time) => next_local_time(tz, self.now, *time),
            Wait::At(local) => resolve_local(tz, *local),
            Wait::Template(template) => {
                let context =
                    self.run
                        .customer_context(&token.customer, token.event.as_deref(), self.now);
                let text = crate::template::render(self.env.env, template, &context)
                    .map_err(|e| StepFailure::Customer(e.to_string()))?;
                let text = text.trim();
                if let Ok(at) = DateTime::parse_from_rfc3339(text) {
                    at.with_timezone(&Utc)
                } else if let Ok(local) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M") {
                    resolve_local(tz, local)
                } else {
                    match parse_bounded_duration(text, MAX_DURATION) {
                        Ok(duration) => later(self.now, duration)?,
                        Err(DurationProblem::TooLong(message)) => {
                            return Err(StepFailure::Customer(format!(
                                "wait template yielded {message}"
                            )))
                        }
                        Err(DurationProblem::Syntax(_)) => {
                            return Err(StepFailure::Customer(format!(
                                "wait template yielded `{text}`, which is neither a date-time \
                                 (RFC 3339 or YYYY-MM-DDTHH:MM) nor a duration"
                            )))
                        }
                    }
                }
            }
        })
    }
}

/// `now + duration`, a customer's failure (never a panic, never zero) past the calendar.
fn later(now: DateTime<Utc>, duration: std::time::Duration) -> Result<DateTime<Utc>, StepFailure> {
    chrono::Duration::from_std(duration)
        .ok()
        .and_then(|delta| now.checked_add_signed(delta))
        .ok_or_else(|| {
            StepFailure::Customer(format!("a wait of {duration:?} ends past the calendar"))
        })
}
