//! A forward cursor over the entries of one customer at a time, for reads in id order.
//!
//! The engine streams every customer in id order and, for each, reads its consent states and
//! counts its history: keys that start with the customer id in the `consent` and `events`
//! trees. A fresh sled range per customer descends the tree from its root and copies a whole
//! leaf before yielding its first entry; over millions of customers a day that copying was the
//! largest cost of a simulation. This cursor keeps one sled iterator open instead and moves it
//! forward, so each leaf is copied once per pass.
//!
//! It never serves stale data: the store counts its writes to the tree, and a cursor that
//! sees the count move starts over with a fresh iterator. Requests that go backwards, jump
//! far ahead or find a customer with a very long history also start over (or decline), so the
//! worst case is what a fresh range costs.

use sled::IVec;

use super::{keys, CustomerId};

/// Entries one customer may have before the cursor declines to buffer them (the caller reads
/// them directly instead): a buffer never holds more than one customer's few entries.
const MAX_BUFFERED: usize = 256;

/// Entries the cursor steps over to reach a later customer before it seeks instead.
const MAX_SKIPPED: usize = 64;

/// Reads the entries of customers requested in ascending id order.
#[derive(Default)]
pub(crate) struct PrefixCursor {
    iter: Option<sled::Iter>,
    /// The next entry after the buffered customer's, not yet consumed.
    peeked: Option<(IVec, IVec)>,
    /// The customer whose entries are buffered.
    current: Option<CustomerId>,
    entries: Vec<(IVec, IVec)>,
    /// The tree's write count when the iterator was opened.
    generation: u64,
}

impl PrefixCursor {
    /// The entries whose key starts with `customer`'s id, in key order; `None` when the
    /// customer has too many to buffer (read them with a range).
    pub(crate) fn entries(
        &mut self,
        tree: &sled::Tree,
        generation: u64,
        customer: CustomerId,
    ) -> sled::Result<Option<&[(IVec, IVec)]>> {
        if generation != self.generation {
            self.reset(generation);
        }
        if self.current != Some(customer) {
            self.position(tree, customer)?;
            if !self.buffer(customer)? {
                self.reset(generation);
                return Ok(None);
            }
        }
        Ok(Some(&self.entries))
    }

    fn reset(&mut self, generation: u64) {
        *self = Self {
            generation,
            entries: std::mem::take(&mut self.entries),
            ..Self::default()
        };
    }

    /// Moves `peeked` to the first entry at or after `customer`'s prefix.
    fn position(&mut self, tree: &sled::Tree, customer: CustomerId) -> sled::Result<()> {
        let prefix = keys::customer_key(customer);
        let ahead = self.iter.is_some() && self.current.is_some_and(|current| current < customer);
        if ahead {
            for _ in 0..MAX_SKIPPED {
                match &self.peeked {
                    Some((key, _)) if key.as_ref() < prefix.as_slice() => self.advance()?,
                    _ => return Ok(()),
                }
            }
        }
        let mut iter = tree.range(prefix..);
        self.peeked = iter.next().transpose()?;
        self.iter = Some(iter);
        Ok(())
    }

    /// Buffers the entries of `customer` (at `peeked` onwards); false when there are too many.
    fn buffer(&mut self, customer: CustomerId) -> sled::Result<bool> {
        let prefix = keys::customer_key(customer);
        self.entries.clear();
        self.current = Some(customer);
        while let Some(entry) = self.peeked.take() {
            if !entry.0.starts_with(&prefix) {
                self.peeked = Some(entry);
                break;
            }
            if self.entries.len() == MAX_BUFFERED {
                return Ok(false);
            }
            self.entries.push(entry);
            self.advance()?;
        }
        Ok(true)
    }

    fn advance(&mut self) -> sled::Result<()> {
        self.peeked = match &mut self.iter {
            Some(iter) => iter.next().transpose()?,
            None => None,
        };
        Ok(())
    }
}

#[cfg(test)]
#[path = "prefix_cursor/tests.rs"]
mod tests;
