//! A token in flight: one customer moving through one run during a wave.

use std::sync::Arc;

use petgraph::graph::NodeIndex;

use super::customers::CustomerView;
use super::state::Commit;
use crate::scenario::compiled::Port;

/// What happened to a token at a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    /// Left through a port.
    Left(Port),
    /// Failed there.
    Failed,
    /// Parked there.
    Parked,
    /// Skipped there by a rule of the engine.
    Skipped(Skip),
}

/// Why the engine skipped a token's step; each reason has its own counter at the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Skip {
    /// Too late for its node's `late` policy.
    Late,
    /// The customer's local day was already claimed by another run of the scenario.
    Duplicate,
}

impl Skip {
    /// The counter it is kept under.
    pub fn metric(self) -> &'static str {
        match self {
            Skip::Late => "late_skipped",
            Skip::Duplicate => "duplicate_skipped",
        }
    }
}

/// One step of a token's path since it was last stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The node.
    pub node: NodeIndex,
    /// Whether this step entered the node (a woken token leaves its wait without entering).
    pub entered: bool,
    /// What happened.
    pub mark: Mark,
}

/// Where a token came from in this wave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Entered the run in this wave (trigger).
    Entered,
    /// Woken from a park at a node index and due instant.
    Woken(u32, chrono::DateTime<chrono::Utc>),
}

/// A token in flight.
#[derive(Debug, Clone)]
pub struct Token {
    /// The customer (as read at the start of the wave).
    pub customer: CustomerView,
    /// The event of an `on_event` run.
    pub event: Option<Arc<serde_json::Value>>,
    /// Steps since the token was last stored: its counters, written with its next record.
    pub path: Vec<Step>,
    /// Changes that must be stored with the token's next record (cap usage, ledger entries,
    /// campaign statistics).
    pub pending: Option<Box<Commit>>,
    /// Whether the token did anything with side effects in this wave.
    pub effects: bool,
    /// Where it came from.
    pub origin: Origin,
}

impl Token {
    /// A token for a customer.
    pub fn new(
        customer: CustomerView,
        event: Option<Arc<serde_json::Value>>,
        origin: Origin,
    ) -> Self {
        Self {
            customer,
            event,
            path: Vec::with_capacity(6),
            pending: None,
            effects: false,
            origin,
        }
    }

    /// The changes stored with this token.
    pub fn pending(&mut self) -> &mut Commit {
        self.pending.get_or_insert_with(Box::default)
    }

    /// Writes a ledger entry of this token's customer with its next record.
    pub fn ledger(&mut self, run: u64, node: u32, state: super::state::LedgerState) {
        let customer = self.customer.id;
        self.pending().ledger(run, node, customer, state);
    }

    /// Whether the token must be stored when it ends (it had a record or did something).
    pub fn leaves_trace(&self) -> bool {
        self.effects || self.pending.is_some() || matches!(self.origin, Origin::Woken(..))
    }
}
