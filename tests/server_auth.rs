//! Bearer tokens on the API routes: 401 for missing, malformed and wrong tokens (with a
//! challenge header and a JSON body), open routes stay open, and nothing is written.

mod server_support;

use serde_json::json;
use server_support::{json, TestServer, TOKEN};
use warmup::project::Secret;

#[tokio::test]
async fn requests_without_a_valid_token_get_401_and_change_nothing() {
    let server = TestServer::start().await;
    let body = json!({"email": "a@b.co"}).to_string();
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("wrong token", Some(format!("Bearer {TOKEN}x"))),
        ("other scheme", Some(format!("Basic {TOKEN}"))),
        ("empty token", Some("Bearer ".to_owned())),
    ];
    let mut answers = Vec::new();
    for (name, header) in cases {
        for path in ["/v1/customers", "/v1/events"] {
            let mut request = server.client.post(server.url(path)).body(body.clone());
            if let Some(header) = &header {
                request = request.header("authorization", header);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.headers()["www-authenticate"],
                r#"Bearer realm="warmup""#
            );
            let (status, error) = json(response).await;
            assert_eq!(status, 401, "{name} {path}");
            if path == "/v1/customers" {
                answers.push(json!({"case": name, "body": error}));
            }
        }
    }
    insta::assert_yaml_snapshot!(answers);
    assert_eq!(server.store().count(), 0);
}

#[tokio::test]
async fn any_configured_token_is_accepted() {
    let server = TestServer::start_with(|builder| {
        builder.tokens(vec![Secret::new("first"), Secret::new("second")])
    })
    .await;
    for token in ["first", "second"] {
        let response = server
            .client
            .post(server.url("/v1/customers"))
            .bearer_auth(token)
            .body(json!({"email": format!("{token}@b.co")}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(server.store().count(), 2);
}

#[tokio::test]
async fn without_configured_tokens_the_api_refuses_everyone() {
    let server = TestServer::start_with(|builder| builder.tokens(Vec::new())).await;
    let (status, error) = json(
        server
            .post_json("/v1/customers", &json!({"email": "a@b.co"}))
            .await,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        error["error"]["message"],
        "no API tokens are configured (server.tokens in the project file)"
    );
}

#[tokio::test]
async fn the_token_is_checked_before_the_body_is_read() {
    let server = TestServer::start_with(|builder| builder.max_body_bytes(64)).await;
    let response = server
        .client
        .post(server.url("/v1/events"))
        .body("x".repeat(10_000))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn health_metrics_and_unsubscribe_need_no_token() {
    let server = TestServer::start().await;
    for path in ["/healthz", "/metrics"] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}
