//! The typed client against the fake Klaviyo (and a Cloudflare-like HTML server), on loopback.

use std::collections::BTreeSet;
use std::time::Duration;

use warmup::klaviyo::client::{KlaviyoClient, KlaviyoError, RetryPolicy, DEFAULT_REVISION};
use warmup::klaviyo::fake::{FakeConfig, FakeKlaviyo, RateLimits, DEFAULT_FAKE_KEY};
use warmup::project::Secret;

fn client(base: &str, key: &str) -> KlaviyoClient {
    KlaviyoClient::new(base, Secret::new(key), DEFAULT_REVISION)
        .unwrap()
        .with_retry(RetryPolicy {
            max_retries: 20,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(2),
        })
}

async fn all_profile_ids(client: &KlaviyoClient) -> Vec<String> {
    let mut pages = client.profiles(None).unwrap();
    let mut ids = Vec::new();
    while let Some(page) = pages.next_page().await.unwrap() {
        ids.extend(page.data.into_iter().map(|p| p.id));
    }
    ids
}

#[tokio::test]
async fn pagination_follows_next_links_over_many_pages() {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(2_345)
    };
    let fake = FakeKlaviyo::start(config).await.unwrap();
    let client = client(&fake.base_url(), DEFAULT_FAKE_KEY);
    let ids = all_profile_ids(&client).await;
    assert_eq!(ids.len(), 2_345);
    let expected: Vec<String> = fake
        .state()
        .profiles()
        .iter()
        .map(|p| p.id.clone())
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(client.pages(), 24);
    assert_eq!(client.retries(), 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_storm_of_429s_is_ridden_out_with_nothing_lost_or_duplicated() {
    // Two requests per second per endpoint: three readers at once are throttled constantly.
    let config = FakeConfig {
        rate_limits: RateLimits::uniform(2, 1_000),
        ..FakeConfig::with_profiles(500)
    };
    let fake = FakeKlaviyo::start(config).await.unwrap();
    let client = client(&fake.base_url(), DEFAULT_FAKE_KEY);
    let (a, b, c) = tokio::join!(
        all_profile_ids(&client),
        all_profile_ids(&client),
        all_profile_ids(&client)
    );
    for ids in [&a, &b, &c] {
        assert_eq!(ids.len(), 500);
        assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 500);
    }
    assert!(fake.state().throttled_count() > 0, "the fake throttled");
    assert_eq!(
        client
            .stats()
            .throttled
            .load(std::sync::atomic::Ordering::Relaxed),
        fake.state().throttled_count()
    );
    assert!(client.retries() >= fake.state().throttled_count());
}

#[tokio::test]
async fn server_errors_are_retried() {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        fail_first: 3,
        ..FakeConfig::with_profiles(5)
    };
    let fake = FakeKlaviyo::start(config).await.unwrap();
    let client = client(&fake.base_url(), DEFAULT_FAKE_KEY);
    assert_eq!(all_profile_ids(&client).await.len(), 5);
    assert_eq!(client.retries(), 3);
    fake.fail_next(100);
    let quick = KlaviyoClient::new(
        &fake.base_url(),
        Secret::new(DEFAULT_FAKE_KEY),
        DEFAULT_REVISION,
    )
    .unwrap()
    .with_retry(RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    });
    let error = quick.profiles(None).unwrap().next_page().await.unwrap_err();
    assert!(
        matches!(error, KlaviyoError::RetriesExhausted { attempts: 3, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_wrong_key_says_authentication_failed_without_the_key() {
    let fake = FakeKlaviyo::start(FakeConfig::with_profiles(3))
        .await
        .unwrap();
    let secret = "pk_thisIsTheWrongKey000000000000000000";
    let client = client(&fake.base_url(), secret);
    let error = client
        .profiles(None)
        .unwrap()
        .next_page()
        .await
        .unwrap_err();
    assert!(error.is_authentication());
    let message = error.to_string();
    assert!(message.contains("authentication failed"), "{message}");
    assert!(!message.contains(secret) && !format!("{error:?}").contains(secret));
    assert_eq!(client.retries(), 0, "401 is not retried");
    insta::assert_snapshot!(message);
}

#[tokio::test]
async fn non_json_error_bodies_are_reported_readably() {
    use axum::http::StatusCode;
    let app = axum::Router::new().fallback(|| async {
        (StatusCode::FORBIDDEN, [("content-type", "text/html")],
         "<html><head><title>Attention Required! | Cloudflare</title></head><body>blocked</body></html>")
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = client(&format!("http://{addr}"), DEFAULT_FAKE_KEY);
    let error = client
        .profiles(None)
        .unwrap()
        .next_page()
        .await
        .unwrap_err();
    match &error {
        KlaviyoError::Http {
            status: 403,
            excerpt,
            ..
        } => {
            assert_eq!(excerpt, "Attention Required! | Cloudflare blocked");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn writes_are_split_at_the_per_call_maxima() {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(1_500)
    };
    let fake = FakeKlaviyo::start(config).await.unwrap();
    let client = client(&fake.base_url(), DEFAULT_FAKE_KEY);
    let ids: Vec<String> = fake
        .state()
        .profiles()
        .iter()
        .map(|p| p.id.clone())
        .collect();
    client.add_to_list("PrvLst", &ids).await.unwrap();
    assert_eq!(fake.state().list_members("PrvLst").len(), 1_500);
    assert_eq!(
        fake.state()
            .request_count("POST /api/lists/{id}/relationships/profiles"),
        2
    );
    let members = client.all_member_ids("PrvLst").await.unwrap();
    assert_eq!(members.len(), 1_500);
    let emails: Vec<String> = (0..250).map(|i| format!("new{i}@example.com")).collect();
    client.subscribe(Some("Y6nRLr"), &emails).await.unwrap();
    client.unsubscribe(None, &emails).await.unwrap();
    assert_eq!(
        fake.state()
            .request_count("POST /api/profile-subscription-bulk-delete-jobs"),
        3
    );
    let profile = fake
        .state()
        .profile_by_email("new7@example.com")
        .cloned()
        .unwrap();
    assert_eq!(profile.email_marketing.consent.as_str(), "UNSUBSCRIBED");
}
