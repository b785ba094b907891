//! Membership sync against the fake Klaviyo: the initial load records every member of the
//! synced lists and segments on the customer, an incremental run adds those who joined since,
//! and the reconciliation removes members Klaviyo no longer lists (a manual removal).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use warmup::klaviyo::client::{KlaviyoClient, RetryPolicy, DEFAULT_REVISION};
use warmup::klaviyo::fake::{
    FakeConfig, FakeKlaviyo, RateLimits, DEFAULT_FAKE_KEY, ENGAGED_90_SEGMENT, NEWSLETTER_LIST,
    VIP_LIST,
};
use warmup::klaviyo::sync::{Mapping, SyncOptions, SyncReport, Syncer};
use warmup::project::{Memberships, Secret};
use warmup::store::Store;

/// The list standing for the exclusion list of the examples.
const EXCLUSION: &str = VIP_LIST;

#[derive(Clone, Copy)]
enum Run {
    Initial,
    Incremental,
    Reconcile,
}

async fn sync(fake: &FakeKlaviyo, store: &Store, run: Run) -> SyncReport {
    let client = KlaviyoClient::new(
        &fake.base_url(),
        Secret::new(DEFAULT_FAKE_KEY),
        DEFAULT_REVISION,
    )
    .unwrap()
    .with_retry(RetryPolicy {
        max_retries: 5,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
    });
    let mapping = Mapping {
        properties: BTreeMap::new(),
        lists: BTreeMap::from([(NEWSLETTER_LIST.into(), "newsletter".into())]),
    };
    let options = SyncOptions {
        progress: false,
        profiles: matches!(run, Run::Initial),
        events: true,
        reconcile: !matches!(run, Run::Incremental),
        memberships: Memberships {
            lists: vec![EXCLUSION.into()],
            segments: vec![ENGAGED_90_SEGMENT.into()],
        },
        ..SyncOptions::default()
    };
    Syncer::new(client, store, mapping, options)
        .unwrap()
        .run()
        .await
        .unwrap()
}

fn groups(store: &Store, profile: &str, property: &str) -> Vec<String> {
    let customer = store.find_by_klaviyo_id(profile).unwrap().unwrap();
    match customer.properties.get(property) {
        Some(Value::Array(ids)) => ids.iter().map(|v| v.as_str().unwrap().to_owned()).collect(),
        None => Vec::new(),
        Some(other) => panic!("{property} is {other}"),
    }
}

/// Profiles of the fake that are not on the exclusion list.
fn outsiders(fake: &FakeKlaviyo, n: usize) -> Vec<String> {
    let state = fake.state();
    let members = state.list_members(EXCLUSION);
    state
        .profiles()
        .iter()
        .map(|p| p.id.clone())
        .filter(|id| !members.contains(id))
        .take(n)
        .collect()
}

#[tokio::test]
async fn list_and_segment_membership_follow_klaviyo() {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(250)
    };
    let fake = FakeKlaviyo::start(config).await.unwrap();
    let store = Store::temporary().unwrap();
    let joining = outsiders(&fake, 3);
    {
        let mut state = fake.state();
        assert!(state.ui_add_to_list(EXCLUSION, &joining[0]));
    }
    let first = sync(&fake, &store, Run::Initial).await;
    assert!(first.membership_changes > 0, "{first}");

    // Initial: every member of the list and of the segment, and nobody else.
    let (list_members, segment_members) = {
        let state = fake.state();
        (
            state.list_members(EXCLUSION),
            state.segment_members(ENGAGED_90_SEGMENT),
        )
    };
    assert!(
        !list_members.is_empty() && segment_members.len() > 1,
        "{} list members, {} segment members",
        list_members.len(),
        segment_members.len()
    );
    for profile in fake.state().profiles() {
        let lists = groups(&store, &profile.id, "klaviyo_lists");
        let segments = groups(&store, &profile.id, "klaviyo_segments");
        assert_eq!(
            lists.contains(&EXCLUSION.to_owned()),
            list_members.contains(&profile.id)
        );
        assert_eq!(
            segments.contains(&ENGAGED_90_SEGMENT.to_owned()),
            segment_members.contains(&profile.id)
        );
    }

    // Incremental: a profile added to the list and one entering the segment appear.
    let outside_segment = {
        let mut state = fake.state();
        assert!(state.ui_add_to_list(EXCLUSION, &joining[1]));
        let outside = state
            .profiles()
            .iter()
            .map(|p| p.id.clone())
            .find(|id| !segment_members.contains(id))
            .unwrap();
        assert!(state.ui_enter_segment(ENGAGED_90_SEGMENT, &outside));
        outside
    };
    let again = sync(&fake, &store, Run::Incremental).await;
    assert_eq!(again.membership_changes, 2, "{again}");
    assert_eq!(groups(&store, &joining[1], "klaviyo_lists"), [EXCLUSION]);
    assert_eq!(
        groups(&store, &outside_segment, "klaviyo_segments"),
        [ENGAGED_90_SEGMENT]
    );
    let quiet = sync(&fake, &store, Run::Incremental).await;
    assert_eq!(
        quiet.membership_changes, 0,
        "a rerun changes nothing: {quiet}"
    );

    // A manual removal in Klaviyo is invisible to the incremental read, and reconciled by
    // the next full read; so is a profile leaving a segment.
    let leaver = segment_members[0].clone();
    {
        let mut state = fake.state();
        assert!(state.ui_remove_from_list(EXCLUSION, &joining[0]));
        assert!(state.ui_leave_segment(ENGAGED_90_SEGMENT, &leaver));
    }
    sync(&fake, &store, Run::Incremental).await;
    assert_eq!(groups(&store, &joining[0], "klaviyo_lists"), [EXCLUSION]);
    let reconciled = sync(&fake, &store, Run::Reconcile).await;
    assert_eq!(reconciled.membership_changes, 2, "{reconciled}");
    assert!(groups(&store, &joining[0], "klaviyo_lists").is_empty());
    assert!(groups(&store, &leaver, "klaviyo_segments").is_empty());
    assert_eq!(groups(&store, &joining[1], "klaviyo_lists"), [EXCLUSION]);
}
