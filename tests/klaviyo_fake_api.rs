//! The fake Klaviyo answers SDK-shaped requests with spec-shaped answers: status codes,
//! headers, JSON:API bodies, pagination, filters, error documents.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use warmup::klaviyo::fake::{
    FakeConfig, FakeKlaviyo, JobMode, RateLimits, DEFAULT_FAKE_KEY, NEWSLETTER_LIST, VIP_LIST,
};

const REVISION: &str = "2026-07-15";

async fn fake(profiles: usize) -> FakeKlaviyo {
    let config = FakeConfig {
        rate_limits: RateLimits::off(),
        ..FakeConfig::with_profiles(profiles)
    };
    FakeKlaviyo::start(config).await.unwrap()
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn call(fake: &FakeKlaviyo, method: Method, path: &str, body: Option<Value>) -> Reply {
    call_with(
        fake,
        method,
        path,
        body,
        Some(DEFAULT_FAKE_KEY),
        Some(REVISION),
    )
    .await
}

async fn call_with(
    fake: &FakeKlaviyo,
    method: Method,
    path: &str,
    body: Option<Value>,
    key: Option<&str>,
    revision: Option<&str>,
) -> Reply {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{}{path}", fake.base_url())
    };
    let mut request = reqwest::Client::new()
        .request(method, url)
        .header("Accept", "application/vnd.api+json");
    if let Some(key) = key {
        request = request.header("Authorization", format!("Klaviyo-API-Key {key}"));
    }
    if let Some(revision) = revision {
        request = request.header("revision", revision);
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/vnd.api+json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// The error document with its random `id` replaced, for snapshots.
fn error_doc(mut body: Value) -> Value {
    let id = body["errors"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(id.len(), 36, "error id is a UUID: {body}");
    body["errors"][0]["id"] = json!("[uuid]");
    body
}

#[tokio::test]
async fn auth_and_revision_errors_have_klaviyo_bodies() {
    let fake = fake(3).await;
    let none = call_with(
        &fake,
        Method::GET,
        "/api/profiles",
        None,
        None,
        Some(REVISION),
    )
    .await;
    assert_eq!(none.status, 401);
    assert_eq!(none.headers["content-type"], "application/vnd.api+json");
    insta::assert_json_snapshot!("missing_key", error_doc(none.body));
    let wrong = call_with(
        &fake,
        Method::GET,
        "/api/profiles",
        None,
        Some("pk_wrong"),
        Some(REVISION),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(!wrong.body.to_string().contains("pk_wrong"));
    let missing = call_with(
        &fake,
        Method::GET,
        "/api/profiles",
        None,
        Some(DEFAULT_FAKE_KEY),
        None,
    )
    .await;
    assert_eq!(missing.status, 400);
    let future = call_with(
        &fake,
        Method::GET,
        "/api/profiles",
        None,
        Some(DEFAULT_FAKE_KEY),
        Some("2999-01-15"),
    )
    .await;
    assert_eq!(future.status, 400);
    insta::assert_json_snapshot!("future_revision", error_doc(future.body));
    let ancient = call_with(
        &fake,
        Method::GET,
        "/api/profiles",
        None,
        Some(DEFAULT_FAKE_KEY),
        Some("2021-01-01"),
    )
    .await;
    assert_eq!(ancient.status, 404);
    assert_eq!(
        ancient.body["errors"][0]["detail"],
        "No valid revisions found for method"
    );
    let pre = call_with(
        &fake,
        Method::GET,
        "/api/profiles",
        None,
        Some(DEFAULT_FAKE_KEY),
        Some("2026-07-15.pre"),
    )
    .await;
    assert_eq!(pre.status, 200);
    let wrong_method = call(&fake, Method::PUT, "/api/profiles", None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(fake.state().request_count("GET /api/profiles"), 6);
}

#[tokio::test]
async fn profiles_paginate_with_absolute_next_links_and_both_path_styles() {
    let fake = fake(45).await;
    let mut url = "/api/profiles/?page%5Bsize%5D=20".to_owned();
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let reply = call(&fake, Method::GET, &url, None).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.headers["content-type"], "application/vnd.api+json");
        pages += 1;
        for item in reply.body["data"].as_array().unwrap() {
            assert_eq!(item["type"], "profile");
            assert!(item["attributes"].get("subscriptions").is_none());
            ids.push(item["id"].as_str().unwrap().to_owned());
        }
        match reply.body["links"]["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&fake.base_url()));
                assert!(next.contains("page%5Bsize%5D=20") && next.contains("page%5Bcursor%5D="));
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 45);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, ids, "ids unique and in order");
    assert!(ids.iter().all(|id| id.len() == 26));
    let no_slash = call(&fake, Method::GET, "/api/profiles?page%5Bsize%5D=1", None).await;
    assert_eq!(no_slash.body["data"][0]["id"], ids[0].as_str());
    let too_big = call(&fake, Method::GET, "/api/profiles?page%5Bsize%5D=101", None).await;
    assert_eq!(too_big.status, 400);
    insta::assert_json_snapshot!("page_size", error_doc(too_big.body));
    let bad_cursor = call(
        &fake,
        Method::GET,
        "/api/profiles?page%5Bcursor%5D=bm9wZQ",
        None,
    )
    .await;
    assert_eq!(
        bad_cursor.body["errors"][0]["detail"],
        "Invalid cursor provided."
    );
}

#[tokio::test]
async fn filters_subscriptions_and_invalid_filters() {
    let fake = fake(30).await;
    let email = fake.state().profiles()[7].email.clone().unwrap();
    let path = format!("/api/profiles?filter=equals(email,%22{email}%22)&additional-fields%5Bprofile%5D=subscriptions");
    let reply = call(&fake, Method::GET, &path, None).await;
    let data = reply.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    let consent = &data[0]["attributes"]["subscriptions"]["email"]["marketing"]["consent"];
    assert!(["SUBSCRIBED", "UNSUBSCRIBED", "NEVER_SUBSCRIBED"].contains(&consent.as_str().unwrap()));
    let unlisted = call(
        &fake,
        Method::GET,
        "/api/profiles?filter=equals(first_name,%22Ana%22)",
        None,
    )
    .await;
    assert_eq!(unlisted.status, 400);
    insta::assert_json_snapshot!("invalid_filter", error_doc(unlisted.body));
    let quoted = call(
        &fake,
        Method::GET,
        "/api/profiles?filter=greater-than(updated,%222024-01-01T00:00:00Z%22)",
        None,
    )
    .await;
    assert!(quoted.body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("not in quotes"));
    let recent = call(
        &fake,
        Method::GET,
        "/api/profiles?filter=greater-than(updated,2000-01-01T00:00:00Z)&page%5Bsize%5D=100",
        None,
    )
    .await;
    assert_eq!(recent.body["data"].as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn creating_a_duplicate_profile_is_409_with_the_existing_id() {
    let fake = fake(2).await;
    let body = json!({"data": {"type": "profile", "attributes": {"email": "ann@example.com", "first_name": "Ann", "properties": {"tier": "gold"}}}});
    let created = call(&fake, Method::POST, "/api/profiles/", Some(body.clone())).await;
    assert_eq!(created.status, 201);
    let id = created.body["data"]["id"].as_str().unwrap().to_owned();
    let again = call(&fake, Method::POST, "/api/profiles", Some(body)).await;
    assert_eq!(again.status, 409);
    assert_eq!(
        again.body["errors"][0]["meta"]["duplicate_profile_id"],
        id.as_str()
    );
    insta::assert_json_snapshot!("duplicate_profile", {
        let mut doc = error_doc(again.body);
        doc["errors"][0]["meta"]["duplicate_profile_id"] = json!("[profile id]");
        doc
    });
    let patch = json!({"data": {"type": "profile", "id": id, "attributes": {"first_name": null, "properties": {"tier": "silver"}},
        "meta": {"patch_properties": {"append": {"skus": "92538"}}}}});
    let patched = call(
        &fake,
        Method::PATCH,
        &format!("/api/profiles/{id}"),
        Some(patch),
    )
    .await;
    assert_eq!(patched.status, 200);
    assert_eq!(
        patched.body["data"]["attributes"]["first_name"],
        Value::Null
    );
    assert_eq!(
        patched.body["data"]["attributes"]["properties"],
        json!({"tier": "silver", "skus": ["92538"]})
    );
    let mismatch =
        json!({"data": {"type": "profile", "id": "01H00000000000000000000000", "attributes": {}}});
    assert_eq!(
        call(
            &fake,
            Method::PATCH,
            &format!("/api/profiles/{id}/"),
            Some(mismatch)
        )
        .await
        .status,
        400
    );
    let wrong_type = json!({"data": {"type": "list", "attributes": {"email": "x@example.com"}}});
    assert_eq!(
        call(&fake, Method::POST, "/api/profiles", Some(wrong_type))
            .await
            .status,
        400
    );
}

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
