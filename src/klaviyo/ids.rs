//! Identifier formats Klaviyo uses: 6-character base62 ids for lists and metrics, ULIDs for
//! profiles, and (in the fake) fixed-width base62 event ids whose order is the order of the
//! events.

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Width of event ids: 62^11 exceeds every u64 below 2^65, so all sequences fit.
pub const EVENT_ID_WIDTH: usize = 11;

/// A fixed-width base62 rendering of `value`; lexicographic order equals numeric order.
pub fn base62_fixed(mut value: u64, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Parses a base62 string back to a number; `None` on a foreign character or overflow.
pub fn parse_base62(text: &str) -> Option<u64> {
    text.bytes().try_fold(0u64, |acc, byte| {
        let digit = BASE62.iter().position(|&b| b == byte)? as u64;
        acc.checked_mul(62)?.checked_add(digit)
    })
}

/// The event id of the event with sequence `seq`.
pub fn event_id(seq: u64) -> String {
    base62_fixed(seq, EVENT_ID_WIDTH)
}

/// The sequence of an event id, if it is one.
pub fn event_seq(id: &str) -> Option<u64> {
    (id.len() == EVENT_ID_WIDTH)
        .then(|| parse_base62(id))
        .flatten()
}

/// A 6-character base62 id (lists, metrics) derived from a random number.
pub fn short_id(random: u64) -> String {
    base62_fixed(random % 62u64.pow(6), 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_round_trip_and_sort_like_numbers() {
        let ids: Vec<String> = [0u64, 61, 62, 1_000_000, u64::MAX]
            .iter()
            .map(|&n| event_id(n))
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(event_seq(&ids[3]), Some(1_000_000));
        assert_eq!(event_seq(&ids[4]), Some(u64::MAX));
        assert_eq!(event_seq("short"), None);
        assert_eq!(event_seq("0000000000!"), None);
    }

    #[test]
    fn short_ids_have_six_characters() {
        assert_eq!(short_id(u64::MAX).len(), 6);
        assert_eq!(short_id(0), "000000");
    }
}
