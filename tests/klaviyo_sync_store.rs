//! The sync into the real customer store: consent state follows Klaviyo, reruns add nothing,
//! reconciliation of a manual removal rejects consent.

use std::collections::BTreeMap;
use std::time::Duration;

use warmup::klaviyo::client::{KlaviyoClient, RetryPolicy, DEFAULT_REVISION};
use warmup::klaviyo::fake::{
    FakeConfig, FakeKlaviyo, RateLimits, DEFAULT_FAKE_KEY, NEWSLETTER_LIST,
};
use warmup::klaviyo::sync::{Mapping, SyncOptions, SyncReport, Syncer};
use warmup::project::Secret;
use warmup::store::{ConsentAction, Store};

async fn sync(fake: &FakeKlaviyo, store: &Store) -> SyncReport {
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
        properties: BTreeMap::from([("first_name".into(), "first_name".into())]),
        lists: BTreeMap::from([(NEWSLETTER_LIST.into(), "newsletter".into())]),
    };
    let options = SyncOptions {
        progress: false,
        ..SyncOptions::default()
    };
    Syncer::new(client, store, mapping, options)
        .unwrap()
        .run()
        .await
        .unwrap()
}

#[tokio::test]
async fn consent_in_the_store_follows_klaviyo() {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(300)
    };
    let fake = FakeKlaviyo::start(config).await.unwrap();
    let store = Store::temporary().unwrap();
    let first = sync(&fake, &store).await;
    assert_eq!(first.profiles_created, 300);
    assert_eq!(store.count(), 300);
    let log_after_first = store.next_event_seq();
    let again = sync(&fake, &store).await;
    assert_eq!(again.events_added(), 0, "{again}");
    assert_eq!(
        store.next_event_seq(),
        log_after_first,
        "no event was recorded twice"
    );
    // A member who can receive email has accepted consent; removing them by hand in Klaviyo
    // turns it into a reject at the next sync.
    let member = {
        let state = fake.state();
        state
            .list_members(NEWSLETTER_LIST)
            .into_iter()
            .find(|id| {
                let p = state.profile(id).unwrap();
                p.email_marketing.consent.as_str() == "SUBSCRIBED"
                    && p.email_marketing.suppression.is_empty()
            })
            .unwrap()
    };
    let customer = store.find_by_klaviyo_id(&member).unwrap().unwrap();
    let before = store
        .consent_state(customer.id, "newsletter")
        .unwrap()
        .unwrap();
    assert_eq!(before.action, ConsentAction::Accept);
    fake.state().ui_remove_from_list(NEWSLETTER_LIST, &member);
    let third = sync(&fake, &store).await;
    assert_eq!(third.reconciled_rejects, 1, "{third}");
    let after = store
        .consent_state(customer.id, "newsletter")
        .unwrap()
        .unwrap();
    assert_eq!(after.action, ConsentAction::Reject);
}
