//! Klaviyo memberships of the sample customers, so that an offline demo or simulation feeds
//! the `klaviyo_list` / `klaviyo_segment` predicates as the Klaviyo sync would.
//!
//! Derived from each customer without drawing from the sample's random stream, so the
//! customers themselves stay as they were:
//! - the "Engaged (90 Days)" segment ([`ENGAGED_SEGMENT`]): subscribed, and opened or clicked
//!   within 90 days of the sample's "now";
//! - the exclusion list ([`EXCLUSION_LIST`]): about one in twenty subscribed customers, excluded
//!   from Klaviyo's sends before the warm-up started.

use chrono::Duration;
use serde_json::{Map, Value};

use crate::sample::{Sample, SampleCustomer};
use crate::store::{CustomerRecord, Store, StoreError};

/// The exclusion list id of the example scenarios (`params.exclusion_list_id`), as the fake
/// Klaviyo has it.
pub const EXCLUSION_LIST: &str = crate::klaviyo::fake::EXCLUSION_LIST;
/// The "Engaged (90 Days)" segment id of the example project (`klaviyo.memberships`), as the
/// fake Klaviyo has it.
pub const ENGAGED_SEGMENT: &str = crate::klaviyo::fake::ENGAGED_90_SEGMENT;

/// The lists and the segments a sample customer is in.
pub fn memberships(
    sample: &Sample,
    customer: &SampleCustomer,
) -> (Vec<&'static str>, Vec<&'static str>) {
    let subscribed = customer.consent == "SUBSCRIBED";
    let since = sample.now - Duration::days(90);
    let engaged = [customer.last_open, customer.last_click]
        .into_iter()
        .flatten()
        .any(|at| at >= since);
    let excluded = subscribed && fingerprint(&customer.klaviyo_id).is_multiple_of(20);
    let lists = if excluded {
        vec![EXCLUSION_LIST]
    } else {
        vec![]
    };
    let segments = if subscribed && engaged {
        vec![ENGAGED_SEGMENT]
    } else {
        vec![]
    };
    (lists, segments)
}

/// Writes the memberships of the first `count` sample customers onto the store's customers
/// (by Klaviyo id), as `klaviyo_lists` / `klaviyo_segments`. Returns how many were written.
pub fn record(store: &Store, sample: &Sample, count: u64) -> Result<u64, StoreError> {
    let mut written = 0;
    for customer in sample.records(count) {
        let (lists, segments) = memberships(sample, &customer);
        if lists.is_empty() && segments.is_empty() {
            continue;
        }
        let mut properties = Map::new();
        if !lists.is_empty() {
            properties.insert("klaviyo_lists".into(), Value::from(lists));
        }
        if !segments.is_empty() {
            properties.insert("klaviyo_segments".into(), Value::from(segments));
        }
        let record = CustomerRecord {
            klaviyo_id: Some(customer.klaviyo_id.clone()),
            properties,
            ..CustomerRecord::default()
        };
        store.upsert(&record)?;
        written += 1;
    }
    Ok(written)
}

/// A stable number from an id (FNV-1a), to pick members without randomness.
fn fingerprint(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn some_are_excluded_most_engaged_and_only_subscribers() {
        let sample = Sample::new(7);
        let (mut excluded, mut engaged) = (0, 0);
        for customer in sample.records(2000) {
            let (lists, segments) = memberships(&sample, &customer);
            if !lists.is_empty() || !segments.is_empty() {
                assert_eq!(customer.consent, "SUBSCRIBED");
            }
            excluded += lists.len();
            engaged += segments.len();
        }
        assert!((40..120).contains(&excluded), "{excluded} excluded");
        assert!(engaged > 1000, "{engaged} engaged");
    }
}
