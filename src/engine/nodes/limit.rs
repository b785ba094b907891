//! `limit`: at most N tokens per group pass, per run or per local day.
//!
//! While a wave streams in, each group keeps its best `capacity` tokens in a bounded heap
//! (worst on top); a token that cannot beat the worst leaves through `over` at once, and an
//! evicted token leaves through `over` when it is pushed out. Memory is bounded by the caps.
//! When the wave ends, the kept tokens pass, best first, each carrying "one more passed" for
//! its cap into the batch that stores it, so cap usage moves with tokens atomically.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use chrono::{Duration, NaiveDate};
use petgraph::graph::NodeIndex;

use crate::engine::error::Result;
use crate::engine::hash::stable_hash;
use crate::engine::predicate::instant;
use crate::engine::state::CapInForce;
use crate::engine::step::{StepFailure, StepResult};
use crate::engine::token::Token;
use crate::engine::wave::Wave;
use crate::scenario::compiled::{CapSource, Limit, Port, Priority};
use crate::scenario::model::{CapValue, GroupBy, Guard, GuardAction, LimitScope};

/// The group of a limit without `group_by`.
pub const ALL: &str = "all";

/// A limit's tokens of the current wave, per group.
#[derive(Default)]
pub struct LimitAcc {
    groups: HashMap<String, Group>,
}

struct Group {
    capacity: usize,
    cap_key: String,
    heap: BinaryHeap<Candidate>,
}

/// Ordering key: smaller is better (passes first).
#[derive(Debug, Clone, PartialEq)]
struct PriorityKey {
    parts: Vec<f64>,
    hash: u64,
}

impl Eq for PriorityKey {}

impl Ord for PriorityKey {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.parts.iter().zip(&other.parts) {
            match a.total_cmp(b) {
                Ordering::Equal => continue,
                unequal => return unequal,
            }
        }
        self.hash.cmp(&other.hash)
    }
}

impl PartialOrd for PriorityKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

struct Candidate {
    key: PriorityKey,
    token: Token,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Candidate {}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Wave<'_> {
    /// A token arrives at a limit.
    pub(crate) fn limit_arrive(
        &mut self,
        node: NodeIndex,
        limit: &Limit,
        token: Token,
    ) -> Result<()> {
        let group = match self.group_of(limit, &token) {
            Ok(group) => group,
            Err(failure) => return self.fail(node, token, failure),
        };
        let known = self
            .limits
            .get(&node)
            .is_some_and(|acc| acc.groups.contains_key(&group));
        if !known {
            let (capacity, cap_key) = match self.open_group(node, limit, &group) {
                Ok(opened) => opened,
                Err(failure) => return self.fail(node, token, failure),
            };
            self.limits.entry(node).or_default().groups.insert(
                group.clone(),
                Group {
                    capacity,
                    cap_key,
                    heap: BinaryHeap::new(),
                },
            );
        }
        let capacity = self.limits[&node].groups[&group].capacity;
        if capacity == 0 {
            return self.leave(node, token, Port::Over, true);
        }
        let key = match self.priority_key(node, limit, &token) {
            Ok(key) => key,
            Err(failure) => return self.fail(node, token, failure),
        };
        let Some(heap) = self
            .limits
            .get_mut(&node)
            .and_then(|acc| acc.groups.get_mut(&group))
            .map(|g| &mut g.heap)
        else {
            return Ok(());
        };
        if heap.len() < capacity {
            heap.push(Candidate { key, token });
            return Ok(());
        }
        let beats_worst = heap.peek().is_some_and(|worst| key < worst.key);
        if !beats_worst {
            return self.leave(node, token, Port::Over, true);
        }
        let evicted = heap.pop();
        heap.push(Candidate { key, token });
        match evicted {
            Some(evicted) => self.leave(node, evicted.token, Port::Over, true),
            None => Ok(()),
        }
    }

    /// The wave is over: the kept tokens pass, best first, group by group.
    pub(crate) fn limit_flush(&mut self, node: NodeIndex, _limit: &Limit) -> Result<()> {
        let Some(acc) = self.limits.remove(&node) else {
            return Ok(());
        };
        let mut groups: Vec<(String, Group)> = acc.groups.into_iter().collect();
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, group) in groups {
            for candidate in group.heap.into_sorted_vec() {
                let mut token = candidate.token;
                token.pending().use_cap(&group.cap_key, 1);
                self.leave(node, token, Port::Passed, true)?;
            }
        }
        Ok(())
    }

    fn group_of(&self, limit: &Limit, token: &Token) -> StepResult<String> {
        Ok(match &limit.group_by {
            None => ALL.to_owned(),
            Some(GroupBy::MailboxProvider) => self.run.provider_of(&token.customer),
            Some(GroupBy::Property(name)) => match token.customer.value(name) {
                Some(serde_json::Value::String(text)) => text,
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            },
            Some(GroupBy::Template(template)) => {
                let context =
                    self.run
                        .customer_context(&token.customer, token.event.as_deref(), self.now);
                crate::template::render(self.env.env, template, &context)
                    .map_err(|e| StepFailure::Customer(e.to_string()))?
                    .trim()
                    .to_owned()
            }
        })
    }

    /// Computes a group's cap for this wave, records it, and returns what is left of it.
    fn open_group(
        &mut self,
        node: NodeIndex,
        limit: &Limit,
        group: &str,
    ) -> StepResult<(usize, String)> {
        let id = self.run.scenario.node(node).id.clone();
        let day = self.run.day();
        let mut cap = self.cap_on_day(limit, group, day)?;
        if let Some(guard) = &limit.guard {
            if day > 1 && self.guard_broken(guard, group)? {
                let held = match guard.action {
                    GuardAction::Hold => self.cap_on_day(limit, group, day - 1)?,
                    GuardAction::StepBack => self.cap_on_day(limit, group, (day - 2).max(1))?,
                };
                cap = cap.min(held);
            }
        }
        let cap_key = match self.limit_scope(limit) {
            LimitScope::Run => format!("run/{}/{id}/{group}", self.run.run.id),
            LimitScope::Day => format!("day/{}/{id}/{}/{group}", self.run.run.scenario, self.date),
        };
        let used = self.env.state.cap_used(&cap_key)?;
        self.commit.cap_in_force(&CapInForce {
            scenario: self.run.run.scenario.clone(),
            date: self.date,
            node: id,
            group: group.to_owned(),
            cap,
        });
        Ok((cap.saturating_sub(used) as usize, cap_key))
    }

    /// The window the limit counts in: as written, else per day in runs of a `repeat`
    /// (one day's cap whatever runs overlap on it), per run otherwise.
    fn limit_scope(&self, limit: &Limit) -> LimitScope {
        limit.per.unwrap_or_else(|| {
            let trigger = self.run.scenario.index_of(&self.run.run.trigger);
            let repeat = trigger.is_some_and(|t| {
                matches!(
                    self.run.scenario.node(t).kind,
                    crate::scenario::compiled::NodeKind::Repeat(_)
                )
            });
            if repeat {
                LimitScope::Day
            } else {
                LimitScope::Run
            }
        })
    }

    /// A group's cap on a `day` of the plan, before the guard.
    fn cap_on_day(&self, limit: &Limit, group: &str, day: u32) -> StepResult<u64> {
        let value = |cap: &CapValue| -> StepResult<u64> {
            match cap {
                CapValue::Constant(n) => Ok(*n),
                CapValue::Template(template) => {
                    let context = minijinja::context! {
                        day => day,
                        params => minijinja::Value::from_serialize(self.run.scenario.params()),
                        plans => minijinja::Value::from_serialize(self.run.scenario.plans()),
                        group => group,
                    };
                    let text = crate::template::render(self.env.env, template, &context)
                        .map_err(|e| StepFailure::Customer(e.to_string()))?;
                    text.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|n| *n >= 0.0)
                        .map(|n| n.round() as u64)
                        .ok_or_else(|| {
                            StepFailure::Customer(format!(
                                "cap template yielded `{text}`, not a number"
                            ))
                        })
                }
            }
        };
        match &limit.caps {
            CapSource::Every(cap) => value(cap),
            CapSource::PerGroup { caps, default } => match caps.get(group).or(default.as_ref()) {
                Some(cap) => value(cap),
                None => Ok(0),
            },
            CapSource::Plan(name) => {
                let table = self.run.scenario.plans().get(name);
                let row = table.and_then(|t| t.get(group).or_else(|| t.get("default")));
                Ok(row
                    .and_then(|row| {
                        let index = (day.max(1) as usize - 1).min(row.len().saturating_sub(1));
                        row.get(index).copied()
                    })
                    .unwrap_or(0))
            }
        }
    }

    /// Whether the group's previous sending day broke the guard's thresholds.
    fn guard_broken(&self, guard: &Guard, group: &str) -> StepResult<bool> {
        let scenario = &self.run.run.scenario;
        let state = self.env.state;
        let Some(previous) =
            (1..=31)
                .map(|back| self.date - Duration::days(back))
                .find(|date: &NaiveDate| {
                    state
                        .stat(scenario, *date, group, "delivered")
                        .is_ok_and(|n| n > 0)
                })
        else {
            return Ok(false);
        };
        let delivered = state.stat(scenario, previous, group, "delivered")?;
        if delivered < guard.min_sends.unwrap_or(100) {
            return Ok(false);
        }
        let rate = |action: &str| -> StepResult<f64> {
            Ok(state.stat(scenario, previous, group, action)? as f64 / delivered as f64)
        };
        let bounced = guard
            .max_bounce_rate
            .is_some_and(|max| rate("bounced").is_ok_and(|r| r > max));
        let complained = guard
            .max_complaint_rate
            .is_some_and(|max| rate("complained").is_ok_and(|r| r > max));
        Ok(bounced || complained)
    }

    fn priority_key(
        &self,
        node: NodeIndex,
        limit: &Limit,
        token: &Token,
    ) -> StepResult<PriorityKey> {
        let evaluation = self.evaluation();
        let mut parts = Vec::with_capacity(limit.priority.len());
        for rule in &limit.priority {
            let part = match rule {
                Priority::Matching(predicate) => {
                    let holds =
                        evaluation.holds(predicate, &token.customer, token.event.as_deref())?;
                    if holds {
                        0.0
                    } else {
                        1.0
                    }
                }
                Priority::Recent(name) => token
                    .customer
                    .value(name)
                    .as_ref()
                    .and_then(instant)
                    .map_or(f64::INFINITY, |at| -(at.timestamp_millis() as f64)),
                Priority::Highest(name) => {
                    number(token.customer.value(name)).map_or(f64::INFINITY, |n| -n)
                }
                Priority::Lowest(name) => {
                    number(token.customer.value(name)).unwrap_or(f64::INFINITY)
                }
            };
            parts.push(part);
        }
        let id = &self.run.scenario.node(node).id;
        Ok(PriorityKey {
            parts,
            hash: stable_hash(id, token.customer.id),
        })
    }
}

fn number(value: Option<serde_json::Value>) -> Option<f64> {
    match value? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
