//! The tick summary for machines (`warmup tick --json`) and the per-node failure lines people
//! read under the tick line.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::engine::failures::NodeFailures;
use crate::engine::TickSummary;

/// Reasons listed per node.
const TOP_REASONS: usize = 3;

/// `warmup tick --json`: one JSON object.
#[derive(Debug, Serialize)]
pub struct TickReport {
    /// The instant the tick ran at (RFC 3339).
    pub at: String,
    /// Runs started.
    pub runs_started: u64,
    /// Runs whose interrupted entry was resumed.
    pub runs_resumed: u64,
    /// Waves processed.
    pub waves: u64,
    /// Tokens moved.
    pub tokens: u64,
    /// E-mails sent.
    pub emails: u64,
    /// E-mails not sent because an earlier attempt was not confirmed.
    pub uncertain: u64,
    /// Webhook calls.
    pub webhook_calls: u64,
    /// Customers a Klaviyo list call had nothing to do for (no `klaviyo_id`).
    pub webhook_skipped: u64,
    /// Customers whose step failed.
    pub failed: u64,
    /// Per node that had failures.
    pub failures: Vec<NodeFailureReport>,
}

/// Failures of one node.
#[derive(Debug, Serialize)]
pub struct NodeFailureReport {
    /// Scenario name.
    pub scenario: String,
    /// Node id.
    pub node: String,
    /// Customers whose step failed there.
    pub failed: u64,
    /// The most frequent reasons, most frequent first.
    pub reasons: Vec<ReasonCount>,
}

/// A reason and how many customers failed for it.
#[derive(Debug, Serialize)]
pub struct ReasonCount {
    /// The reason, with secrets, addresses and identifiers replaced.
    pub reason: String,
    /// Customers.
    pub count: u64,
}

impl TickReport {
    /// The report of a tick at `at`.
    pub fn new(at: DateTime<Utc>, summary: &TickSummary) -> Self {
        Self {
            at: at.to_rfc3339(),
            runs_started: summary.runs_started,
            runs_resumed: summary.runs_resumed,
            waves: summary.waves,
            tokens: summary.tokens,
            emails: summary.emails,
            uncertain: summary.uncertain,
            webhook_calls: summary.webhook_calls,
            webhook_skipped: summary.webhook_skipped,
            failed: summary.failed,
            failures: summary
                .failures
                .nodes()
                .map(|(scenario, node, failures)| NodeFailureReport {
                    scenario: scenario.to_owned(),
                    node: node.to_owned(),
                    failed: failures.failed,
                    reasons: reasons(failures),
                })
                .collect(),
        }
    }
}

fn reasons(failures: &NodeFailures) -> Vec<ReasonCount> {
    failures
        .top(TOP_REASONS)
        .into_iter()
        .map(|(reason, count)| ReasonCount {
            reason: reason.to_owned(),
            count,
        })
        .collect()
}

/// The lines under the tick line: per node with failures, its count and top reasons.
pub fn failure_lines(summary: &TickSummary) -> Vec<String> {
    summary
        .failures
        .lines(TOP_REASONS)
        .into_iter()
        .map(|line| format!("  failed at {line}"))
        .collect()
}
