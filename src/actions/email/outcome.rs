//! What became of one message; the engine records it as a `campaign` event.

use serde::Serialize;

/// The result of sending one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum EmailOutcome {
    /// The server (or the outbox) accepted the message.
    Delivered {
        /// The `Message-ID` header, angle brackets included.
        message_id: String,
        /// Tries made, the first included.
        attempts: u32,
    },
    /// The server rejected the recipient for good (550, 551, 552, 553).
    Bounced {
        /// SMTP reply code.
        code: u16,
        /// The server's words.
        reason: String,
        /// Tries made.
        attempts: u32,
    },
    /// Not sent: another permanent reply, retries exhausted, no connection, or the
    /// message could not be built (then `attempts` is 0).
    Failed {
        /// SMTP reply code, if the server answered.
        code: Option<u16>,
        /// Why, with secrets redacted.
        reason: String,
        /// Tries made.
        attempts: u32,
    },
}

impl EmailOutcome {
    /// The `action` of the `campaign` event: `delivered`, `bounced` or `failed`.
    pub fn campaign_action(&self) -> &'static str {
        match self {
            EmailOutcome::Delivered { .. } => "delivered",
            EmailOutcome::Bounced { .. } => "bounced",
            EmailOutcome::Failed { .. } => "failed",
        }
    }

    /// Whether the customer moves on to `next` (else `on_failure`).
    pub fn is_delivered(&self) -> bool {
        matches!(self, EmailOutcome::Delivered { .. })
    }
}
