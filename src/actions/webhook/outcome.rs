//! What became of one customer's call.

use serde::Serialize;

/// The result for one customer; the engine moves the token to `next` or `on_failure`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum WebhookOutcome {
    /// The remote side accepted the call (2xx, or a 409 duplicate on profile creation).
    Done {
        /// HTTP status of the final answer.
        status: u16,
        /// Requests made, the first included.
        attempts: u32,
        /// Klaviyo profile id, for `klaviyo.create_profile`.
        profile_id: Option<String>,
        /// The profile existed already (409 `duplicate_profile`).
        duplicate: bool,
    },
    /// The call failed for good.
    Failed {
        /// HTTP status of the last answer, if one came.
        status: Option<u16>,
        /// Requests made, the first included (0: the request could not be built).
        attempts: u32,
        /// Why, with every secret redacted.
        reason: String,
    },
}

impl WebhookOutcome {
    /// Whether the call succeeded.
    pub fn is_done(&self) -> bool {
        matches!(self, WebhookOutcome::Done { .. })
    }

    /// The same outcome for a customer who also saw `earlier` requests (of the larger batches
    /// it was part of before its failure was isolated).
    pub fn after(self, earlier: u32) -> Self {
        match self {
            WebhookOutcome::Done {
                status,
                attempts,
                profile_id,
                duplicate,
            } => WebhookOutcome::Done {
                status,
                attempts: attempts + earlier,
                profile_id,
                duplicate,
            },
            WebhookOutcome::Failed {
                status,
                attempts,
                reason,
            } => WebhookOutcome::Failed {
                status,
                attempts: attempts + earlier,
                reason,
            },
        }
    }

    /// Requests made for this customer's batch.
    pub fn attempts(&self) -> u32 {
        match self {
            WebhookOutcome::Done { attempts, .. } | WebhookOutcome::Failed { attempts, .. } => {
                *attempts
            }
        }
    }
}

/// How an HTTP status is treated (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// 2xx.
    Success,
    /// 408, 429, 5xx: try again later.
    Retry,
    /// Anything else (400, 401, 403, 404, 410, other 4xx, unfollowed 3xx): give up.
    Fail,
}

/// Classifies `status`.
pub fn classify(status: u16) -> StatusClass {
    match status {
        200..=299 => StatusClass::Success,
        408 | 429 | 500..=599 => StatusClass::Retry,
        _ => StatusClass::Fail,
    }
}
