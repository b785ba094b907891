//! The fake Klaviyo answers SDK-shaped requests with spec-shaped answers: auth and revision
//! errors, profiles, pagination, filters, error documents.

mod klaviyo_support;

use klaviyo_support::http::{call, call_with, error_doc, fake, REVISION};
use reqwest::Method;
use serde_json::{json, Value};
use warmup::klaviyo::fake::DEFAULT_FAKE_KEY;

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
