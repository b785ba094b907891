//! `split`: percentages to branches, stable per customer.

use crate::engine::hash::stable_hash;
use crate::engine::token::Token;
use crate::scenario::compiled::{Port, Split};

/// The branch of a token: the customer's stable hash, salted with the node id, picks a
/// point in [0, 100) and the cumulative percentages decide.
pub fn branch(split: &Split, node_id: &str, token: &Token) -> Port {
    let point = (stable_hash(node_id, token.customer.id) % 1_000_000) as f64 / 10_000.0;
    let mut upper = 0.0;
    for (index, percent) in split.percents.iter().enumerate() {
        upper += percent;
        if point < upper {
            return Port::Branch(index);
        }
    }
    Port::Branch(split.percents.len().saturating_sub(1))
}
