//! The global event log, written in chunks.
//!
//! Every event is appended to its customer's history (one sled insert, random key) and to the
//! global log, whose sequence numbers let consumers tail it with a cursor. Writing the log one
//! record per event doubled the cost of ingest, so the log stores *chunks*: one sled record
//! holds the consecutive events of one `record_events` call, up to [`CHUNK_BYTES`], keyed by
//! the sequence of its first event. A batch of 1,000 events therefore costs about 1,003
//! inserts instead of 2,000; a single event still costs two.
//!
//! Chunk value: a sequence of entries `customer (8) + time (8) + body length (u32, 4) + body`,
//! all integers big-endian; an entry's sequence is the chunk key plus its position. The body is
//! the same [`StoredEvent`](super::StoredEvent) JSON as the history's value.

use super::{key_u64, keys, CustomerId, Result, Store, StoreError};

/// A chunk is closed once its value reaches this size, keeping values far below the size at
/// which sled moves a value out of its log into a blob file.
pub(super) const CHUNK_BYTES: usize = 16 * 1024;

/// One event of a chunk, still encoded.
pub(super) struct RawEntry<'a> {
    pub seq: u64,
    pub customer: CustomerId,
    pub time: [u8; 8],
    pub body: &'a [u8],
}

/// Appends the encoded entries of one batch, whose first sequence is `first`, as chunks.
pub(super) fn write(store: &Store, first: u64, entries: &[([u8; 24], Vec<u8>)]) -> Result<()> {
    let mut chunk = Vec::with_capacity(CHUNK_BYTES + 256);
    let mut chunk_start = first;
    for (position, (history_key, body)) in entries.iter().enumerate() {
        chunk.extend_from_slice(&history_key[..16]);
        chunk.extend_from_slice(&(body.len() as u32).to_be_bytes());
        chunk.extend_from_slice(body);
        if chunk.len() >= CHUNK_BYTES || position + 1 == entries.len() {
            store
                .event_log
                .insert(chunk_start.to_be_bytes(), chunk.as_slice())
                .map_err(|e| store.sled(e))?;
            chunk.clear();
            chunk_start = first + position as u64 + 1;
        }
    }
    Ok(())
}

/// The sequence after the last logged event: where a reopened store continues.
pub(super) fn next_seq(log: &sled::Tree) -> std::result::Result<u64, sled::Error> {
    Ok(match log.last()? {
        Some((key, value)) => match key_u64(&key) {
            Some(start) => start + Entries::new(start, &value).count() as u64,
            None => 0,
        },
        None => 0,
    })
}

/// The chunks that hold events from `cursor` (inclusive) up to `end` (exclusive), in order:
/// the chunk containing `cursor`, then every later one that starts before `end`.
pub(super) fn chunks(
    log: &sled::Tree,
    cursor: u64,
    end: u64,
) -> impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> {
    let first = log
        .range(..=cursor.to_be_bytes())
        .next_back()
        .and_then(|entry| entry.ok())
        .map_or(cursor, |(key, _)| key_u64(&key).unwrap_or(cursor));
    log.range(first.to_be_bytes()..end.max(first).to_be_bytes())
}

/// Iterates the entries of one chunk.
pub(super) struct Entries<'a> {
    next_seq: u64,
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Entries<'a> {
    /// The entries of the chunk stored under `start`.
    pub fn new(start: u64, value: &'a [u8]) -> Self {
        Self {
            next_seq: start,
            rest: value,
            failed: false,
        }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<RawEntry<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.failed {
            return None;
        }
        let entry = decode_entry(self.next_seq, self.rest);
        match entry {
            Some((entry, rest)) => {
                self.rest = rest;
                self.next_seq += 1;
                Some(Ok(entry))
            }
            None => {
                self.failed = true;
                Some(Err(StoreError::Corrupt {
                    what: "event log chunk",
                    detail: format!("entry {} is truncated", self.next_seq),
                }))
            }
        }
    }
}

/// Splits one entry off the front of a chunk.
fn decode_entry(seq: u64, bytes: &[u8]) -> Option<(RawEntry<'_>, &[u8])> {
    let customer = keys::decode_customer(bytes)?;
    let time: [u8; 8] = bytes.get(8..16)?.try_into().ok()?;
    let length = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?) as usize;
    let body = bytes.get(20..20 + length)?;
    let entry = RawEntry {
        seq,
        customer,
        time,
        body,
    };
    Some((entry, &bytes[20 + length..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(customer: u64, body: &str) -> ([u8; 24], Vec<u8>) {
        let mut key = [0u8; 24];
        key[..8].copy_from_slice(&customer.to_be_bytes());
        key[8..16].copy_from_slice(&[7; 8]);
        (key, body.as_bytes().to_vec())
    }

    #[test]
    fn a_chunk_decodes_to_its_entries_with_consecutive_sequences() {
        let store = Store::temporary().unwrap();
        write(&store, 5, &[entry(1, "{}"), entry(2, "{\"t\":1}")]).unwrap();
        let (key, value) = store.event_log.first().unwrap().unwrap();
        assert_eq!(key_u64(&key), Some(5));
        let decoded: Vec<(u64, u64, Vec<u8>)> = Entries::new(5, &value)
            .map(|e| e.unwrap())
            .map(|e| (e.seq, e.customer.0, e.body.to_vec()))
            .collect();
        assert_eq!(
            decoded,
            [(5, 1, b"{}".to_vec()), (6, 2, b"{\"t\":1}".to_vec())]
        );
        assert_eq!(next_seq(&store.event_log).unwrap(), 7);
    }

    #[test]
    fn large_batches_are_split_into_bounded_chunks() {
        let store = Store::temporary().unwrap();
        let body = "x".repeat(1000);
        let entries: Vec<_> = (0..100).map(|n| entry(n, &body)).collect();
        write(&store, 0, &entries).unwrap();
        let chunks: Vec<_> = store.event_log.iter().map(|c| c.unwrap()).collect();
        assert!(chunks.len() > 1, "one chunk of 100 KB");
        assert!(chunks.iter().all(|(_, v)| v.len() < CHUNK_BYTES + 1100));
        let total: usize = chunks
            .iter()
            .map(|(k, v)| Entries::new(key_u64(k).unwrap(), v).count())
            .sum();
        assert_eq!(total, 100);
        assert_eq!(next_seq(&store.event_log).unwrap(), 100);
    }

    #[test]
    fn a_truncated_chunk_is_reported_as_corrupt() {
        let mut entries = Entries::new(0, &[0, 0, 0, 0, 0, 0, 0, 1, 9]);
        assert!(matches!(
            entries.next(),
            Some(Err(StoreError::Corrupt { .. }))
        ));
        assert!(entries.next().is_none());
    }
}
