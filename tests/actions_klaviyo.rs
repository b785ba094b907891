//! Klaviyo presets against a Klaviyo-like HTTP server on loopback: paths, headers,
//! JSON:API bodies (snapshots), batch sizes, profile ids.

mod support;

use serde_json::json;
use support::fake_klaviyo::{FakeKlaviyo, Options};
use support::webhook_setup::*;
use warmup::actions::{WebhookAction, WebhookOutcome};
use warmup::scenario::model::{Batch, Preset};

#[tokio::test]
async fn add_to_list_batches_1000_per_request_with_klaviyo_headers() {
    let server = FakeKlaviyo::start(Options::default()).await;
    let setup = environment(&server.base_url, KEY, Some(fast()), None);
    let mut node = node(
        Some(Preset::KlaviyoAddToList),
        &[("list_id", "{{ params.exclusion_list_id }}")],
    );
    node.batch = Some(Batch {
        size: 1000,
        item: None,
    });
    let action = WebhookAction::new("exclude", &node, &setup.env).unwrap();

    let outcomes = action.call(items(2500)).await;

    assert_eq!(outcomes.len(), 2500);
    assert_eq!(outcomes[0].0, "c0");
    assert_eq!(outcomes[2499].0, "c2499");
    assert!(outcomes.iter().all(|(_, o)| matches!(
        o,
        WebhookOutcome::Done {
            status: 204,
            attempts: 1,
            ..
        }
    )));
    assert_eq!(server.count(), 3);
    assert_eq!(server.members("Y6nRLr"), 2500);
    let mut sizes: Vec<usize> = server
        .requests()
        .iter()
        .map(|r| r.json()["data"].as_array().unwrap().len())
        .collect();
    sizes.sort();
    assert_eq!(sizes, [500, 1000, 1000]);
    for request in server.requests() {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/api/lists/Y6nRLr/relationships/profiles");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Klaviyo-API-Key {KEY}").as_str())
        );
        assert_eq!(request.header("revision"), Some("2026-07-15"));
        assert_eq!(request.header("accept"), Some("application/vnd.api+json"));
        assert_eq!(
            request.header("content-type"),
            Some("application/vnd.api+json")
        );
    }
}

/// Runs `preset` for three customers and returns what the server received.
async fn received(
    preset: Preset,
    with: &[(&str, &str)],
    revision: Option<&str>,
) -> serde_json::Value {
    let server = FakeKlaviyo::start(Options::default()).await;
    let setup = environment(&server.base_url, KEY, Some(fast()), revision);
    let action = WebhookAction::new("n", &node(Some(preset), with), &setup.env).unwrap();
    let outcomes = action
        .call(items(if preset == Preset::KlaviyoCreateProfile {
            1
        } else {
            3
        }))
        .await;
    assert!(outcomes.iter().all(|(_, o)| o.is_done()), "{outcomes:?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    json!({
        "request": format!("{} {}", request.method, request.path),
        "revision": request.header("revision"),
        "body": request.json(),
    })
}

#[tokio::test]
async fn preset_requests_match_klaviyo() {
    insta::assert_json_snapshot!(
        "create_profile",
        received(
            Preset::KlaviyoCreateProfile,
            &[("external_id", "{{ customer.id }}"), ("first_name", "Ann")],
            None
        )
        .await
    );
    insta::assert_json_snapshot!(
        "add_to_list",
        received(
            Preset::KlaviyoAddToList,
            &[("list_id", "{{ params.exclusion_list_id }}")],
            Some("2026-01-15")
        )
        .await
    );
    insta::assert_json_snapshot!(
        "remove_from_list",
        received(
            Preset::KlaviyoRemoveFromList,
            &[("list_id", "Y6nRLr"), ("profile_id", "P-{{ customer.id }}")],
            None
        )
        .await
    );
    insta::assert_json_snapshot!(
        "subscribe",
        received(
            Preset::KlaviyoSubscribe,
            &[
                ("list_id", "Y6nRLr"),
                ("custom_source", "warmup"),
                ("channels", "email,sms")
            ],
            None
        )
        .await
    );
    insta::assert_json_snapshot!(
        "unsubscribe",
        received(Preset::KlaviyoUnsubscribe, &[], None).await
    );
}

#[tokio::test]
async fn unsubscribe_sends_at_most_100_profiles_per_job() {
    let server = FakeKlaviyo::start(Options::default()).await;
    let setup = environment(&server.base_url, KEY, Some(fast()), None);
    let action = WebhookAction::new(
        "n",
        &node(Some(Preset::KlaviyoUnsubscribe), &[]),
        &setup.env,
    )
    .unwrap();
    assert_eq!(action.batch_size(), 100);
    let outcomes = action.call(items(250)).await;
    assert!(outcomes
        .iter()
        .all(|(_, o)| matches!(o, WebhookOutcome::Done { status: 202, .. })));
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn create_profile_records_the_id_and_counts_a_duplicate_as_done() {
    let server = FakeKlaviyo::start(Options::default()).await;
    let setup = environment(&server.base_url, KEY, Some(fast()), None);
    let action = WebhookAction::new(
        "n",
        &node(Some(Preset::KlaviyoCreateProfile), &[]),
        &setup.env,
    )
    .unwrap();
    let first = action.call(vec![item(7)]).await;
    let WebhookOutcome::Done {
        status: 201,
        profile_id: Some(id),
        duplicate: false,
        ..
    } = &first[0].1
    else {
        panic!("{first:?}");
    };
    assert_eq!(id.len(), 26);
    let again = action.call(vec![item(7)]).await;
    assert_eq!(
        again[0].1,
        WebhookOutcome::Done {
            status: 409,
            attempts: 1,
            profile_id: Some(id.clone()),
            duplicate: true
        }
    );
}
