//! Builds the simulation report from the engine state's counters.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate};

use super::error::Result;
use super::runner::Engine;
use crate::report::{DayReport, NodeCount, SimulationReport};
use crate::scenario::compiled::NodeKind;
use crate::scenario::model::GroupBy;

impl Engine {
    /// Per day × node counts and per day × mailbox provider sends and caps, for `days` local
    /// dates from `from`.
    pub fn report(&self, from: NaiveDate, days: u32) -> Result<SimulationReport> {
        let runs: HashMap<u64, String> = self
            .state
            .runs()?
            .into_iter()
            .map(|run| (run.id, run.scenario))
            .collect();
        // (scenario, date, node) -> metric -> value
        let mut counts: HashMap<(String, NaiveDate, String), BTreeMap<String, u64>> =
            HashMap::new();
        for entry in self.state.counters(None)? {
            let scenario = runs.get(&entry.run).cloned().unwrap_or_default();
            *counts
                .entry((scenario, entry.date, entry.node))
                .or_default()
                .entry(entry.metric)
                .or_insert(0) += entry.value;
        }
        let mut sends: HashMap<NaiveDate, BTreeMap<String, u64>> = HashMap::new();
        for stat in self.state.stats()? {
            if stat.action == "delivered" {
                *sends
                    .entry(stat.date)
                    .or_default()
                    .entry(stat.group)
                    .or_insert(0) += stat.value;
            }
        }
        let mut caps: HashMap<NaiveDate, BTreeMap<String, u64>> = HashMap::new();
        for cap in self.state.caps_in_force()? {
            if self.groups_by_provider(&cap.scenario, &cap.node) {
                *caps
                    .entry(cap.date)
                    .or_default()
                    .entry(cap.group)
                    .or_insert(0) += cap.cap;
            }
        }
        let mut report = SimulationReport {
            from,
            days: Vec::new(),
        };
        for offset in 0..days {
            let date = from + Duration::days(i64::from(offset));
            let mut nodes = Vec::new();
            for scenario in &self.scenarios {
                for index in scenario.flow_order() {
                    let node = scenario.node(index);
                    let mut metrics = counts
                        .remove(&(scenario.name().to_owned(), date, node.id.clone()))
                        .unwrap_or_default();
                    let entered = metrics.remove("entered").unwrap_or(0);
                    let failed = metrics.remove("failed").unwrap_or(0);
                    nodes.push(NodeCount {
                        scenario: scenario.name().to_owned(),
                        node: node.id.clone(),
                        label: node.label(),
                        kind: node.kind.name().to_owned(),
                        entered,
                        ports: metrics,
                        failed,
                    });
                }
            }
            report.days.push(DayReport {
                date,
                nodes,
                sends: sends.remove(&date).unwrap_or_default(),
                caps: caps.remove(&date).unwrap_or_default(),
            });
        }
        Ok(report)
    }

    fn groups_by_provider(&self, scenario: &str, node: &str) -> bool {
        self.scenarios
            .iter()
            .filter(|s| s.name() == scenario)
            .filter_map(|s| s.index_of(node).map(|i| &s.node(i).kind))
            .any(|kind| matches!(kind, NodeKind::Limit(limit) if limit.group_by == Some(GroupBy::MailboxProvider)))
    }
}
