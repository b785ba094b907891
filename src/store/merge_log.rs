//! The merge journal: every identity merge in the order it happened, so that state kept
//! outside the store under customer ids (the engine's tokens, ledger and parked entries) can
//! follow it.
//!
//! The store cannot move that state itself: the engine may be in the middle of a wave when a
//! merge arrives through the HTTP API, and only the engine knows which of two tokens of one
//! run must survive. So a merge writes one journal entry in the same sled transaction as its
//! `merged` entry (a merge that resolves is always journaled), and the engine hands the state
//! over at a point of its choosing, keeping a cursor in its own state (see
//! `engine::state::merge`).

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use super::{key_u64, keys, CustomerId, Result, Store, StoreError};

/// One merge of the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeRecord {
    /// Position in the journal (increasing, starts at 1); 0 for merges recorded before the
    /// journal existed.
    pub seq: u64,
    /// The customer that was merged away.
    pub absorbed: CustomerId,
    /// The customer it was merged into (it may itself have been merged later).
    pub survivor: CustomerId,
}

impl Store {
    /// Records that `absorbed` now resolves to `survivor`: the `merged` entry and its journal
    /// entry, atomically. Called under the identity lock, which keeps positions unique; they
    /// do not come from sled's id counter, so customer ids stay as dense as before.
    pub(super) fn record_merge(&self, absorbed: CustomerId, survivor: CustomerId) -> Result<()> {
        let seq = self.last_merge_seq()? + 1;
        let mut entry = [0u8; 16];
        entry[..8].copy_from_slice(&keys::customer_key(absorbed));
        entry[8..].copy_from_slice(&keys::customer_key(survivor));
        (&self.merged, &self.merge_log)
            .transaction(|(merged, log)| {
                merged.insert(&keys::customer_key(absorbed), &keys::customer_key(survivor))?;
                log.insert(&seq.to_be_bytes(), &entry)?;
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                TransactionError::Storage(e) => self.sled(e),
                TransactionError::Abort(()) => StoreError::Corrupt {
                    what: "merge journal",
                    detail: "transaction aborted".into(),
                },
            })
    }

    /// Up to `limit` journaled merges after position `after`, in order.
    pub fn merges_after(&self, after: u64, limit: usize) -> Result<Vec<MergeRecord>> {
        let mut found = Vec::new();
        for entry in self
            .merge_log
            .range(after.saturating_add(1).to_be_bytes()..)
        {
            if found.len() >= limit {
                break;
            }
            let (key, value) = entry.map_err(|e| self.sled(e))?;
            let (Some(seq), Some(absorbed), Some(survivor)) = (
                key_u64(&key),
                keys::decode_customer(&value),
                value.get(8..).and_then(keys::decode_customer),
            ) else {
                return Err(StoreError::Corrupt {
                    what: "merge journal entry",
                    detail: format!("{} key bytes, {} value bytes", key.len(), value.len()),
                });
            };
            found.push(MergeRecord {
                seq,
                absorbed,
                survivor,
            });
        }
        Ok(found)
    }

    /// The position of the last journaled merge (0 when none).
    pub fn last_merge_seq(&self) -> Result<u64> {
        Ok(self
            .merge_log
            .last()
            .map_err(|e| self.sled(e))?
            .and_then(|(key, _)| key_u64(&key))
            .unwrap_or(0))
    }

    /// Every merge ever recorded, journaled or not (stores written before the journal
    /// existed), as absorbed → survivor with `seq` 0, in absorbed-id order.
    pub fn all_merges(&self) -> impl Iterator<Item = Result<MergeRecord>> + '_ {
        self.merged.iter().map(move |entry| {
            let (key, value) = entry.map_err(|e| self.sled(e))?;
            match (keys::decode_customer(&key), keys::decode_customer(&value)) {
                (Some(absorbed), Some(survivor)) => Ok(MergeRecord {
                    seq: 0,
                    absorbed,
                    survivor,
                }),
                _ => Err(StoreError::Corrupt {
                    what: "merged entry",
                    detail: format!("{} key bytes, {} value bytes", key.len(), value.len()),
                }),
            }
        })
    }
}
