//! The ingest API over real HTTP on loopback: success answers, what lands in the store,
//! and every validation failure (status and JSON error body, snapshot-tested).

mod server_support;

use serde_json::json;
use server_support::{json, TestServer};
use warmup::store::{ConsentAction, CustomerId};

#[tokio::test]
async fn a_single_customer_is_created_then_updated() {
    let server = TestServer::start().await;
    let body =
        json!({"email": " Ada@Example.com ", "properties": {"first_name": "Ada"}, "tags": ["vip"]});
    let (status, ack) = json(server.post_json("/v1/customers", &body).await).await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(
        ack,
        json!({"accepted": 1, "customers": [{"id": 1, "outcome": "created"}]})
    );

    let again = json!({"email": "ada@example.com", "properties": {"city": "London"}});
    let (_, ack) = json(server.post_json("/v1/customers", &again).await).await;
    assert_eq!(ack["customers"][0]["outcome"], "updated");

    let customer = server
        .store()
        .find_by_email("ada@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(customer.property("first_name"), Some(&json!("Ada")));
    assert_eq!(customer.property("city"), Some(&json!("London")));
    assert_eq!(customer.property("tags"), Some(&json!(["vip"])));
}

#[tokio::test]
async fn a_batch_reports_each_outcome_in_order() {
    let server = TestServer::start().await;
    let batch = json!({"customers": [
        {"email": "a@example.com"},
        {"klaviyo_id": "01KLAV"},
        {"email": "a@example.com"},
        {"email": "a@example.com", "klaviyo_id": "01KLAV"},
    ]});
    let (status, ack) = json(server.post_json("/v1/customers", &batch).await).await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(
        ack,
        json!({"accepted": 4, "customers": [
            {"id": 1, "outcome": "created"},
            {"id": 2, "outcome": "created"},
            {"id": 1, "outcome": "unchanged"},
            {"id": 1, "outcome": "merged", "absorbed": [2]},
        ]})
    );
    let merged = server
        .store()
        .find_by_klaviyo_id("01KLAV")
        .unwrap()
        .unwrap();
    assert_eq!(merged.id, CustomerId(1));
}

#[tokio::test]
async fn events_create_their_customers_and_land_in_the_log_in_order() {
    let server = TestServer::start().await;
    let mut feed = server.state.event_feed();
    let batch = json!({"events": [
        {"email": "b@example.com", "type": "purchase", "timestamp": "2026-11-20T10:00:00Z", "properties": {"total": 42}},
        {"email": "b@example.com", "type": "consent", "timestamp": "2026-11-21T10:00:00+01:00", "properties": {"action": "accept", "category": "newsletter"}},
        {"cookie": "c-77", "type": "page_view"},
    ]});
    let (status, ack) = json(server.post_json("/v1/events", &batch).await).await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(
        ack,
        json!({"accepted": 3, "events": [
            {"customer": 1, "seq": 0}, {"customer": 1, "seq": 1}, {"customer": 2, "seq": 2},
        ]})
    );
    // The engine's wake-up signal moved past the last event.
    assert!(feed.has_changed().unwrap());
    assert_eq!(*feed.borrow_and_update(), 3);

    let logged: Vec<_> = server.store().events_since(0).map(Result::unwrap).collect();
    let types: Vec<_> = logged.iter().map(|e| e.event.event_type.as_str()).collect();
    assert_eq!(types, ["purchase", "consent", "page_view"]);
    assert_eq!(logged[0].event.properties["total"], json!(42));
    assert_eq!(
        logged[1].event.timestamp.to_rfc3339(),
        "2026-11-21T09:00:00+00:00"
    );
    let consent = server
        .store()
        .consent_state(CustomerId(1), "newsletter")
        .unwrap()
        .unwrap();
    assert_eq!(consent.action, ConsentAction::Accept);
    assert!(server.store().find_by_cookie("c-77").unwrap().is_some());
}

#[tokio::test]
async fn a_single_event_without_timestamp_happens_now() {
    let server = TestServer::start().await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let body = json!({"email": "c@example.com", "type": "signup"});
    let (status, _) = json(server.post_json("/v1/events", &body).await).await;
    assert_eq!(status, 200);
    let logged = server.store().events_since(0).next().unwrap().unwrap();
    assert!(logged.event.timestamp >= before);
}

/// Every kind of bad body: the status, the named field and the message are pinned.
#[tokio::test]
async fn invalid_bodies_get_a_400_naming_the_field() {
    let server = TestServer::start().await;
    let cases: Vec<(&str, &str, String)> = vec![
        ("customers", "not json", "{\"email\": ".into()),
        ("customers", "empty body", String::new()),
        ("customers", "array body", "[]".into()),
        ("customers", "no identifier", json!({"properties": {}}).to_string()),
        ("customers", "bad email", json!({"email": "ada.example.com"}).to_string()),
        ("customers", "email not a string", json!({"email": 7}).to_string()),
        ("customers", "unknown field", json!({"email": "a@b.co", "phone": "1"}).to_string()),
        ("customers", "properties not an object", json!({"email": "a@b.co", "properties": [1]}).to_string()),
        ("customers", "tag not a string", json!({"email": "a@b.co", "tags": ["x", 3]}).to_string()),
        ("customers", "batch not an array", json!({"customers": {}}).to_string()),
        ("customers", "empty batch", json!({"customers": []}).to_string()),
        ("customers", "batch with extra field", json!({"customers": [], "x": 1}).to_string()),
        ("customers", "batch item not an object", json!({"customers": [{"email": "a@b.co"}, 5]}).to_string()),
        ("events", "missing type", json!({"email": "a@b.co"}).to_string()),
        ("events", "bad timestamp in batch", json!({"events": [
            {"email": "a@b.co", "type": "x"}, {"email": "a@b.co", "type": "x"},
            {"email": "a@b.co", "type": "x"}, {"email": "a@b.co", "type": "x", "timestamp": "yesterday"},
        ]}).to_string()),
        ("events", "timestamp not a string", json!({"email": "a@b.co", "type": "x", "timestamp": 1700000000}).to_string()),
        ("events", "consent without action", json!({"email": "a@b.co", "type": "consent", "properties": {"category": "newsletter"}}).to_string()),
        ("events", "consent with unknown action", json!({"email": "a@b.co", "type": "consent", "properties": {"action": "maybe", "category": "newsletter"}}).to_string()),
        ("events", "consent without category", json!({"email": "a@b.co", "type": "consent", "properties": {"action": "reject"}}).to_string()),
        ("events", "consent with bad valid_until", json!({"events": [{"email": "a@b.co", "type": "consent", "properties": {"action": "accept", "category": "newsletter", "valid_until": "soon"}}]}).to_string()),
    ];
    let mut answers = Vec::new();
    for (endpoint, name, body) in cases {
        let (status, error) = json(server.post(&format!("/v1/{endpoint}"), body).await).await;
        assert_eq!(status, 400, "{name}: {error}");
        answers.push(json!({"case": name, "status": status, "body": error}));
    }
    insta::assert_yaml_snapshot!(answers);
    // Nothing of any refused request was written, not even the valid items of a batch.
    assert_eq!(server.store().count(), 0);
    assert_eq!(server.store().next_event_seq(), 0);
}

#[tokio::test]
async fn consent_categories_are_checked_against_the_project() {
    let categories = [("newsletter".to_owned(), Default::default())]
        .into_iter()
        .collect();
    let server = TestServer::start_with(|builder| builder.categories(categories)).await;
    let body = json!({"events": [{"email": "a@b.co", "type": "consent", "properties": {"action": "reject", "category": "newsleter"}}]});
    let (status, error) = json(server.post_json("/v1/events", &body).await).await;
    assert_eq!(status, 400);
    assert_eq!(
        error,
        json!({"error": {"field": "events[0].properties.category", "message": "unknown consent category `newsleter`; the project defines: newsletter"}})
    );
}

#[tokio::test]
async fn bodies_above_the_limit_get_a_413_and_change_nothing() {
    let server = TestServer::start_with(|builder| builder.max_body_bytes(1024)).await;
    let padding = "x".repeat(1000);
    let large = json!({"email": "a@b.co", "properties": {"note": padding}}).to_string();
    assert!(large.len() > 1024);
    let (status, error) = json(server.post("/v1/customers", large).await).await;
    assert_eq!(status, 413);
    insta::assert_yaml_snapshot!(error, @r#"
    error:
      message: the request body is larger than the limit of 1024 bytes (server.max_body_bytes)
    "#);
    assert_eq!(server.store().count(), 0);
    let small = json!({"email": "a@b.co", "properties": {"note": "x".repeat(900)}}).to_string();
    assert!(small.len() <= 1024);
    let (status, _) = json(server.post("/v1/customers", small).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn acknowledged_data_is_in_the_store_after_reopening_it() {
    let server = TestServer::start().await;
    let events: Vec<_> = (0..50)
        .map(|i| json!({"email": format!("u{i}@example.com"), "type": "purchase", "properties": {"n": i}}))
        .collect();
    let (status, _) = json(
        server
            .post_json("/v1/events", &json!({"events": events}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_dir, path) = server.stop().await;
    let store = warmup::store::Store::open(&path).expect("reopen");
    assert_eq!(store.count(), 50);
    let numbers: Vec<_> = store
        .events_since(0)
        .map(|e| e.unwrap().event.properties["n"].clone())
        .collect();
    assert_eq!(numbers, (0..50).map(|i| json!(i)).collect::<Vec<_>>());
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_json() {
    let server = TestServer::start().await;
    let (status, error) = json(
        server
            .client
            .get(server.url("/v2/nothing"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(error, json!({"error": {"message": "no such endpoint"}}));
    let (status, error) = json(
        server
            .client
            .get(server.url("/v1/events"))
            .bearer_auth(server_support::TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(
        error["error"]["message"],
        "this endpoint does not accept that method"
    );
}
