//! The fake Klaviyo's lists, subscription jobs, events and rate limits, driven over HTTP.

mod klaviyo_support;

use klaviyo_support::http::{call, error_doc, fake};
use reqwest::Method;
use serde_json::{json, Value};
use warmup::klaviyo::fake::{
    FakeConfig, FakeKlaviyo, JobMode, RateLimits, NEWSLETTER_LIST, VIP_LIST,
};

#[tokio::test]
async fn list_membership_changes_are_204_and_capped_at_1000() {
    let fake = fake(20).await;
    let id = fake.state().profiles()[0].id.clone();
    fake.state().ui_remove_from_list(NEWSLETTER_LIST, &id);
    let path = format!("/api/lists/{NEWSLETTER_LIST}/relationships/profiles/");
    let body = json!({"data": [{"type": "profile", "id": id}]});
    let added = call(&fake, Method::POST, &path, Some(body.clone())).await;
    assert_eq!(added.status, 204);
    assert!(fake.state().list_members(NEWSLETTER_LIST).contains(&id));
    let removed = call(&fake, Method::DELETE, &path, Some(body)).await;
    assert_eq!(removed.status, 204);
    assert!(!fake.state().list_members(NEWSLETTER_LIST).contains(&id));
    let many: Vec<Value> = (0..1001)
        .map(|_| json!({"type": "profile", "id": id}))
        .collect();
    let too_many = call(&fake, Method::POST, &path, Some(json!({"data": many}))).await;
    assert_eq!(too_many.status, 400);
    let lists = call(&fake, Method::GET, "/api/lists?page%5Bsize%5D=11", None).await;
    assert_eq!(lists.status, 400);
    let count = call(
        &fake,
        Method::GET,
        &format!("/api/lists/{NEWSLETTER_LIST}?additional-fields%5Blist%5D=profile_count"),
        None,
    )
    .await;
    let expected = fake.state().list_members(NEWSLETTER_LIST).len();
    assert_eq!(count.body["data"]["attributes"]["profile_count"], expected);
}

fn subscribe_body(list: &str, emails: &[&str]) -> Value {
    let profiles: Vec<Value> = emails
        .iter()
        .map(|e| {
            json!({"type": "profile", "attributes": {"email": e,
        "subscriptions": {"email": {"marketing": {"consent": "SUBSCRIBED"}}}}})
        })
        .collect();
    json!({"data": {"type": "profile-subscription-bulk-create-job", "attributes": {"custom_source": "Test",
        "profiles": {"data": profiles}}, "relationships": {"list": {"data": {"type": "list", "id": list}}}}})
}

#[tokio::test]
async fn subscription_jobs_are_accepted_then_applied_later() {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        jobs: JobMode::Manual,
        ..FakeConfig::with_profiles(5)
    };
    let fake = FakeKlaviyo::start(config).await.unwrap();
    let job = subscribe_body(NEWSLETTER_LIST, &["new@example.com"]);
    let accepted = call(
        &fake,
        Method::POST,
        "/api/profile-subscription-bulk-create-jobs/",
        Some(job),
    )
    .await;
    assert_eq!(accepted.status, 202);
    assert_eq!(accepted.body, Value::Null);
    assert!(
        fake.state().profile_by_email("new@example.com").is_none(),
        "not applied yet"
    );
    fake.apply_pending_jobs();
    let id = {
        let state = fake.state();
        let profile = state.profile_by_email("new@example.com").unwrap();
        assert_eq!(profile.email_marketing.consent.as_str(), "SUBSCRIBED");
        assert_eq!(
            profile.email_marketing.custom_method_detail.as_deref(),
            Some("Test")
        );
        profile.id.clone()
    };
    assert!(fake.state().list_members(NEWSLETTER_LIST).contains(&id));
    // A double opt-in list leaves consent unchanged until confirmed.
    let doi = subscribe_body(VIP_LIST, &["doi@example.com"]);
    call(
        &fake,
        Method::POST,
        "/api/profile-subscription-bulk-create-jobs",
        Some(doi),
    )
    .await;
    fake.apply_pending_jobs();
    assert_eq!(
        fake.state()
            .profile_by_email("doi@example.com")
            .unwrap()
            .email_marketing
            .consent
            .as_str(),
        "NEVER_SUBSCRIBED"
    );
    // Unsubscribing a member of the list removes it from the list with an event.
    let unsub = json!({"data": {"type": "profile-subscription-bulk-delete-job", "attributes": {"profiles": {"data": [
        {"type": "profile", "attributes": {"email": "new@example.com", "subscriptions": {"email": {"marketing": {"consent": "UNSUBSCRIBED"}}}}}]}},
        "relationships": {"list": {"data": {"type": "list", "id": NEWSLETTER_LIST}}}}});
    assert_eq!(
        call(
            &fake,
            Method::POST,
            "/api/profile-subscription-bulk-delete-jobs",
            Some(unsub)
        )
        .await
        .status,
        202
    );
    fake.apply_pending_jobs();
    assert!(!fake.state().list_members(NEWSLETTER_LIST).contains(&id));
    assert_eq!(
        fake.state().event_names_of(&id),
        ["Subscribed to List", "Unsubscribed from List"]
    );
    let emails: Vec<String> = (0..101).map(|i| format!("u{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let mut too_many = subscribe_body(NEWSLETTER_LIST, &refs);
    too_many["data"]["type"] = json!("profile-subscription-bulk-delete-job");
    assert_eq!(
        call(
            &fake,
            Method::POST,
            "/api/profile-subscription-bulk-delete-jobs",
            Some(too_many)
        )
        .await
        .status,
        400
    );
}

#[tokio::test]
async fn events_include_profiles_and_metrics() {
    let fake = fake(10).await;
    let metric = {
        let state = fake.state();
        state
            .metrics()
            .iter()
            .find(|m| m.name == "Received Email")
            .unwrap()
            .id
            .clone()
    };
    let path = format!("/api/events?filter=and(equals(metric_id,%22{metric}%22),greater-or-equal(datetime,2000-01-01T00:00:00Z))&include=profile,metric&fields%5Bprofile%5D=email&page%5Bsize%5D=5");
    let reply = call(&fake, Method::GET, &path, None).await;
    assert_eq!(reply.status, 200);
    let data = reply.body["data"].as_array().unwrap();
    assert!(!data.is_empty());
    for event in data {
        assert_eq!(
            event["relationships"]["metric"]["data"]["id"],
            metric.as_str()
        );
        assert!(event["attributes"]["timestamp"].is_i64());
    }
    let included = reply.body["included"].as_array().unwrap();
    let profile = included.iter().find(|r| r["type"] == "profile").unwrap();
    assert_eq!(
        profile["attributes"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["email"]
    );
    assert!(included
        .iter()
        .any(|r| r["type"] == "metric" && r["attributes"]["name"] == "Received Email"));
    let custom = call(
        &fake,
        Method::GET,
        "/api/events?filter=equals(metric_name,%22x%22)",
        None,
    )
    .await;
    assert_eq!(custom.status, 400);
}

#[tokio::test]
async fn rate_limits_send_headers_then_429_with_retry_after() {
    let config = FakeConfig {
        rate_limits: RateLimits::uniform(2, 100),
        ..FakeConfig::with_profiles(2)
    };
    let fake = FakeKlaviyo::start(config).await.unwrap();
    let first = call(&fake, Method::GET, "/api/lists", None).await;
    assert_eq!(first.headers["ratelimit-limit"], "100");
    assert_eq!(first.headers["ratelimit-remaining"], "99");
    assert!(first.headers.contains_key("ratelimit-reset"));
    call(&fake, Method::GET, "/api/lists", None).await;
    let throttled = call(&fake, Method::GET, "/api/lists", None).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.headers["retry-after"], "1");
    assert!(!throttled.headers.contains_key("ratelimit-limit"));
    insta::assert_json_snapshot!("throttled", error_doc(throttled.body));
    assert_eq!(fake.state().throttled_count(), 1);
}

#[tokio::test]
async fn delayed_jobs_wait_for_their_time() {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        jobs: JobMode::Delayed(std::time::Duration::from_secs(3600)),
        ..FakeConfig::with_profiles(1)
    };
    let fake = FakeKlaviyo::start(config).await.unwrap();
    let job = subscribe_body(NEWSLETTER_LIST, &["later@example.com"]);
    let accepted = call(
        &fake,
        Method::POST,
        "/api/profile-subscription-bulk-create-jobs",
        Some(job),
    )
    .await;
    assert_eq!(accepted.status, 202);
    assert_eq!(fake.state().pending_job_count(), 1);
    assert!(fake.state().profile_by_email("later@example.com").is_none());
    fake.apply_pending_jobs();
    assert_eq!(fake.state().pending_job_count(), 0);
    assert!(fake.state().profile_by_email("later@example.com").is_some());
    fake.shutdown().await;
}

#[tokio::test]
async fn unknown_profiles_point_into_the_body_and_unknown_lists_name_the_path_parameter() {
    let fake = fake(5).await;
    let id = fake.state().profiles()[0].id.clone();
    fake.state().ui_remove_from_list(VIP_LIST, &id);
    let stale = "01HZZZZZZZZZZZZZZZZZZZZZZ1";
    let path = format!("/api/lists/{VIP_LIST}/relationships/profiles");
    let body = json!({"data": [{"type": "profile", "id": id}, {"type": "profile", "id": stale}]});
    let answer = call(&fake, Method::POST, &path, Some(body.clone())).await;
    assert_eq!(answer.status, 404);
    let error = &answer.body["errors"][0];
    assert_eq!(error["code"], "not_found");
    assert_eq!(error["source"]["pointer"], "/data/1/id");
    assert_eq!(
        error["detail"],
        format!("A profile with id {stale} does not exist.")
    );
    // The call is all or nothing: the known profile was not added either.
    assert!(!fake.state().list_members(VIP_LIST).contains(&id));
    // An unknown list is about the path, whatever the body holds.
    let answer = call(
        &fake,
        Method::POST,
        "/api/lists/NoSuch/relationships/profiles",
        Some(body),
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.body["errors"][0]["source"]["parameter"], "id");
}
