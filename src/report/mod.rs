//! What `warmup simulate` reports: per day × node token counts and per day × mailbox
//! provider sends against the caps in force, as a terminal table
//! ([`SimulationReport::render_table`]), JSON ([`SimulationReport::to_json`]) and an SVG
//! ramp chart ([`SimulationReport::render_svg`]).
//!
//! The engine fills a [`SimulationReport`]; this module only presents it.

mod grid;
mod svg;
mod table;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The result of simulating scenarios over consecutive days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationReport {
    /// The first simulated date.
    pub from: NaiveDate,
    /// One entry per simulated date, in order.
    pub days: Vec<DayReport>,
}

/// What happened on one simulated date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayReport {
    /// The date (in the scenarios' time zone).
    pub date: NaiveDate,
    /// Every node of every scenario, in graph order.
    pub nodes: Vec<NodeCount>,
    /// Mailbox provider to e-mails sent that day.
    pub sends: BTreeMap<String, u64>,
    /// Mailbox provider to the cap in force that day (limit nodes grouped by provider,
    /// summed if several).
    pub caps: BTreeMap<String, u64>,
}

/// Token counts of one node on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCount {
    /// The scenario's name.
    pub scenario: String,
    /// The node id.
    pub node: String,
    /// The display label, e.g. `7 (consent and email)`.
    pub label: String,
    /// The node kind as written in YAML, e.g. `condition`.
    pub kind: String,
    /// Tokens that entered the node.
    pub entered: u64,
    /// Tokens that left it, by port name (`yes`, `no`, `over`, …).
    pub ports: BTreeMap<String, u64>,
    /// Tokens whose action failed at this node.
    pub failed: u64,
}

impl SimulationReport {
    /// The last simulated date (`from` when no day was simulated).
    pub fn to(&self) -> NaiveDate {
        self.days.last().map_or(self.from, |day| day.date)
    }

    /// Mailbox providers that sent or had a cap on any day, sorted by name.
    pub fn providers(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .days
            .iter()
            .flat_map(|day| day.sends.keys().chain(day.caps.keys()))
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Pretty-printed JSON of the whole report, for `simulate --json`.
    pub fn to_json(&self) -> String {
        // Only strings, integers, dates and string-keyed maps: serialization cannot fail,
        // but should serde_json ever refuse, say so in JSON rather than panic.
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|error| serde_json::json!({ "error": error.to_string() }).to_string())
    }
}

/// `12,345`: counts in tables and chart labels are read by people.
pub(crate) fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(850_000), "850,000");
        assert_eq!(thousands(10_000_000), "10,000,000");
    }
}
