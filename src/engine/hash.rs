//! A stable hash of a customer id: the same on every run, machine and release, so ties
//! between equal priorities and split branches pick the same customers again.

/// FNV-1a of a salt string (a node id), then mixed with the customer id by SplitMix64.
pub fn stable_hash(salt: &str, customer: u64) -> u64 {
    let mut seed: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in salt.as_bytes() {
        seed ^= u64::from(*byte);
        seed = seed.wrapping_mul(0x0100_0000_01b3);
    }
    splitmix64(seed ^ customer)
}

/// The SplitMix64 finaliser: a bijection on u64 with good avalanche.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_and_salted() {
        // Fixed values: a change here would reshuffle every rerun's choices.
        assert_eq!(stable_hash("cap", 1), stable_hash("cap", 1));
        assert_ne!(stable_hash("cap", 1), stable_hash("cap", 2));
        assert_ne!(stable_hash("cap", 1), stable_hash("split", 1));
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
    }
}
