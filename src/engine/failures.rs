//! Why customers failed a step: per scenario and node, how many failed and the most frequent
//! reasons, for the tick summary (`warmup tick`, `--json`) and `warmup status`.
//!
//! Reasons are normalised before they are counted: e-mail addresses and long identifiers
//! (profile ids, message ids) become placeholders, so one stale profile id per customer still
//! counts as one reason, and nothing about a customer reaches logs or status output. Secrets
//! are redacted earlier, by the action that produced the reason.

use std::collections::BTreeMap;

use petgraph::graph::NodeIndex;

use super::wave::Wave;

/// Distinct reasons kept per node; further ones are counted under [`OTHER_REASONS`].
const MAX_REASONS: usize = 32;
/// The reason under which reasons beyond [`MAX_REASONS`] are counted.
pub const OTHER_REASONS: &str = "(other reasons)";
/// Longest reason kept, in characters.
const MAX_REASON_CHARS: usize = 240;

/// Failures of one node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeFailures {
    /// Customers whose step failed at the node.
    pub failed: u64,
    /// Normalised reason → customers.
    pub reasons: BTreeMap<String, u64>,
}

impl NodeFailures {
    /// Counts `count` customers failing for `reason` (already normalised).
    pub fn add(&mut self, reason: &str, count: u64) {
        self.failed += count;
        let key = if self.reasons.contains_key(reason) || self.reasons.len() < MAX_REASONS {
            reason
        } else {
            OTHER_REASONS
        };
        *self.reasons.entry(key.to_owned()).or_insert(0) += count;
    }

    /// The `n` most frequent reasons, most frequent first (ties by text).
    pub fn top(&self, n: usize) -> Vec<(&str, u64)> {
        let mut reasons: Vec<(&str, u64)> =
            self.reasons.iter().map(|(r, c)| (r.as_str(), *c)).collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        reasons.truncate(n);
        reasons
    }
}

/// Failures per (scenario, node).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureTally {
    nodes: BTreeMap<(String, String), NodeFailures>,
}

impl FailureTally {
    /// Counts one customer failing at `node` of `scenario` for `reason`.
    pub fn record(&mut self, scenario: &str, node: &str, reason: &str) {
        self.add(scenario, node, &normalize(reason), 1);
    }

    /// Counts `count` customers failing for an already normalised reason.
    pub fn add(&mut self, scenario: &str, node: &str, reason: &str, count: u64) {
        self.nodes
            .entry((scenario.to_owned(), node.to_owned()))
            .or_default()
            .add(reason, count);
    }

    /// Adds every count of `other`.
    pub fn absorb(&mut self, other: &FailureTally) {
        for ((scenario, node), failures) in &other.nodes {
            for (reason, count) in &failures.reasons {
                self.add(scenario, node, reason, *count);
            }
        }
    }

    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// (scenario, node, failures), by scenario and node.
    pub fn nodes(&self) -> impl Iterator<Item = (&str, &str, &NodeFailures)> {
        self.nodes
            .iter()
            .map(|((scenario, node), failures)| (scenario.as_str(), node.as_str(), failures))
    }

    /// One line per node: `scenario/node: N failed (reason ×n; …)` with the `top` most
    /// frequent reasons.
    pub fn lines(&self, top: usize) -> Vec<String> {
        self.nodes()
            .map(|(scenario, node, failures)| {
                format!("{scenario}/{node}: {}", describe(failures, top))
            })
            .collect()
    }
}

/// `N failed: reason (×n); …` with the `top` most frequent reasons.
pub fn describe(failures: &NodeFailures, top: usize) -> String {
    let reasons: Vec<String> = failures
        .top(top)
        .into_iter()
        .map(|(reason, count)| format!("{reason} (×{count})"))
        .collect();
    format!("{} failed: {}", failures.failed, reasons.join("; "))
}

/// A reason as it is counted: addresses and long identifiers replaced, whitespace folded,
/// length bounded.
pub fn normalize(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len().min(MAX_REASON_CHARS));
    for (position, word) in reason.split_whitespace().enumerate() {
        if position > 0 {
            out.push(' ');
        }
        out.push_str(&normalize_word(word));
    }
    if out.chars().count() > MAX_REASON_CHARS {
        out = out.chars().take(MAX_REASON_CHARS).collect::<String>() + "…";
    }
    out
}

fn normalize_word(word: &str) -> String {
    let trimmed = word.trim_matches(|c: char| "<>()[]{}\"'`,.;:".contains(c));
    if trimmed.is_empty() {
        return word.to_owned();
    }
    let placeholder = if trimmed.contains('@') && trimmed.len() > 2 {
        "<email>"
    } else if is_identifier(trimmed) {
        "<id>"
    } else {
        return word.to_owned();
    };
    word.replacen(trimmed, placeholder, 1)
}

/// Long runs of letters and digits that hold digits: profile ids, ULIDs, UUIDs, tokens.
fn is_identifier(text: &str) -> bool {
    text.len() >= 16
        && text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Wave<'_> {
    /// Counts a failed step with its reason: in the wave's summary and, durably, in the run's
    /// per-node reasons that `warmup status` shows.
    pub(super) fn note_failure(&mut self, node: NodeIndex, reason: &str) {
        let scenario = self.run.scenario.name().to_owned();
        let node_id = self.run.scenario.node(node).id.clone();
        let reason = normalize(reason);
        self.summary.failures.add(&scenario, &node_id, &reason, 1);
        self.commit
            .failure_reason(self.run.run.id, &node_id, &reason, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_addresses_do_not_split_a_reason() {
        let a = normalize("HTTP 404: A profile with id 01GDDKASAP8TKDDA2GRZDSVP4H does not exist.");
        let b = normalize("HTTP 404: A profile with id 01GE0000000000000000000000 does not exist.");
        assert_eq!(a, b);
        assert_eq!(a, "HTTP 404: A profile with id <id> does not exist.");
        assert_eq!(
            normalize("550 5.1.1 <ann@example.com>: mailbox unavailable"),
            "550 5.1.1 <<email>>: mailbox unavailable"
        );
        assert_eq!(
            normalize("HTTP 400: Invalid input."),
            "HTTP 400: Invalid input."
        );
    }

    #[test]
    fn the_most_frequent_reasons_come_first_and_distinct_reasons_are_bounded() {
        let mut tally = FailureTally::default();
        for n in 0..100 {
            tally.record("s", "225", &format!("reason {}", n % 40));
        }
        for _ in 0..20 {
            tally.record("s", "225", "reason 7");
        }
        let (_, _, failures) = tally.nodes().next().unwrap();
        assert_eq!(failures.failed, 120);
        assert_eq!(failures.reasons.len(), MAX_REASONS + 1);
        // Reasons 32..39, twice each, count as one.
        assert_eq!(failures.reasons[OTHER_REASONS], 16);
        assert_eq!(failures.top(2), [("reason 7", 23), (OTHER_REASONS, 16)]);
    }
}
