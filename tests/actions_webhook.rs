//! Webhook calls against an HTTP server on loopback: the response contract, retries,
//! rate limits, custom batches, redaction and configuration errors.

mod support;

use std::collections::BTreeMap;

use minijinja::{context, Value};
use serde_json::json;
use support::fake_klaviyo::{FakeKlaviyo, Options, Scripted};
use support::webhook_setup::*;
use warmup::actions::{WebhookAction, WebhookItem, WebhookOutcome};
use warmup::project::RateLimit;
use warmup::scenario::model::{Batch, Preset, WebhookNode};

#[tokio::test]
async fn retries_500_429_and_timeouts_then_succeeds() {
    let server = FakeKlaviyo::start(Options::default()).await;
    let setup = environment(&server.base_url, KEY, Some(fast()), None);
    let mut node = node(Some(Preset::KlaviyoAddToList), &[("list_id", "L1")]);
    node.retry = Some(quick_retry(5));
    node.timeout = Some("200ms".into());
    server.script([
        Scripted::Status(500),
        Scripted::Throttle(1),
        Scripted::Slow(std::time::Duration::from_secs(2)),
        Scripted::Status(503),
    ]);
    let action = WebhookAction::new("n", &node, &setup.env).unwrap();
    let outcomes = action.call(items(3)).await;
    for (_, outcome) in &outcomes {
        assert_eq!(
            outcome,
            &WebhookOutcome::Done {
                status: 204,
                attempts: 5,
                profile_id: None,
                duplicate: false
            }
        );
    }
    assert_eq!(server.count(), 5);
    assert_eq!(server.members("L1"), 3);
}

#[tokio::test]
async fn gives_up_after_max_attempts() {
    let server = FakeKlaviyo::start(Options::default()).await;
    let setup = environment(&server.base_url, KEY, Some(fast()), None);
    let mut node = node(Some(Preset::KlaviyoAddToList), &[("list_id", "L1")]);
    node.retry = Some(quick_retry(3));
    server.script((0..5).map(|_| Scripted::Status(502)));
    let action = WebhookAction::new("n", &node, &setup.env).unwrap();
    let outcomes = action.call(items(2)).await;
    let WebhookOutcome::Failed {
        status: Some(502),
        attempts: 3,
        reason,
    } = &outcomes[1].1
    else {
        panic!("{outcomes:?}");
    };
    assert!(
        reason.starts_with("HTTP 502: error Scripted failure."),
        "{reason}"
    );
    assert!(reason.ends_with("(gave up after 3 attempts)"), "{reason}");
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn client_errors_fail_at_once() {
    for status in [400, 401, 403, 404, 410] {
        let server = FakeKlaviyo::start(Options::default()).await;
        let setup = environment(&server.base_url, KEY, Some(fast()), None);
        let mut node = node(Some(Preset::KlaviyoAddToList), &[("list_id", "L1")]);
        node.retry = Some(quick_retry(5));
        server.script([Scripted::Status(status)]);
        let action = WebhookAction::new("n", &node, &setup.env).unwrap();
        let outcomes = action.call(items(1)).await;
        assert!(
            matches!(&outcomes[0].1, WebhookOutcome::Failed { status: Some(s), attempts: 1, .. } if *s == status),
            "{outcomes:?}"
        );
        assert_eq!(server.count(), 1, "status {status} was retried");
    }
}

#[tokio::test]
async fn connection_errors_are_retried_then_fail() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let setup = environment(&url, KEY, Some(fast()), None);
    let mut node = node(Some(Preset::KlaviyoAddToList), &[("list_id", "L1")]);
    node.retry = Some(quick_retry(3));
    let action = WebhookAction::new("n", &node, &setup.env).unwrap();
    let outcomes = action.call(items(1)).await;
    let WebhookOutcome::Failed {
        status: None,
        attempts: 3,
        reason,
    } = &outcomes[0].1
    else {
        panic!("{outcomes:?}");
    };
    assert!(reason.contains("error sending request"), "{reason}");
}

#[tokio::test]
async fn the_secret_never_appears_in_reasons_or_debug_output() {
    let server = FakeKlaviyo::start(Options::default()).await;
    let setup = environment(&server.base_url, KEY, None, None);
    let mut node = node(None, &[]);
    node.url = Some(format!("{}/echo", server.base_url));
    node.body = Some(json!({ "email": "{{ customer.email }}" }));
    node.headers = BTreeMap::from([("X-Echo".to_owned(), "yes".to_owned())]);
    // Only presets get a default Authorization header; a custom webhook names its own.
    let mut env = setup.env.clone();
    env.auth.get_mut("klaviyo").unwrap().headers =
        BTreeMap::from([("Authorization".to_owned(), "Bearer {{ secret }}".to_owned())]);
    let action = WebhookAction::new("echo", &node, &env).unwrap();
    let outcomes = action.call(items(1)).await;
    let WebhookOutcome::Failed {
        status: Some(400),
        reason,
        ..
    } = &outcomes[0].1
    else {
        panic!("{outcomes:?}");
    };
    assert_eq!(
        reason,
        "HTTP 400: invalid Invalid input. you sent `Bearer ***`"
    );
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(!format!("{action:?}").contains(KEY));
    assert!(!format!("{outcomes:?}").contains(KEY));
}

#[tokio::test]
async fn client_limits_below_the_server_s_never_see_a_429() {
    let options = Options {
        limit: Some((10, 1000)),
        ..Options::default()
    };
    let server = FakeKlaviyo::start(options.clone()).await;
    let limit = RateLimit {
        per_second: Some(8),
        per_minute: Some(900),
        concurrency: Some(4),
    };
    let setup = environment(&server.base_url, KEY, Some(limit), None);
    let mut node = node(Some(Preset::KlaviyoAddToList), &[("list_id", "L1")]);
    node.batch = Some(Batch {
        size: 1,
        item: None,
    });
    // Two nodes share the schema's limiter.
    let first = WebhookAction::new("a", &node, &setup.env).unwrap();
    let second = WebhookAction::new("b", &node, &setup.env).unwrap();
    let (a, b) = tokio::join!(first.call(items(12)), second.call(items(12)));
    assert!(a
        .iter()
        .chain(&b)
        .all(|(_, o)| o.attempts() == 1 && o.is_done()));
    assert_eq!(server.throttled(), 0);
    assert_eq!(server.count(), 24);

    // The same load without the client limit does meet the server's.
    let control = FakeKlaviyo::start(options).await;
    let control_setup = environment(&control.base_url, KEY, Some(fast()), None);
    let unlimited = WebhookAction::new("c", &node, &control_setup.env).unwrap();
    let outcomes = unlimited.call(items(24)).await;
    assert!(control.throttled() > 0);
    assert!(
        outcomes.iter().all(|(_, o)| o.is_done()),
        "429s are retried after Retry-After"
    );
}

#[tokio::test]
async fn custom_batches_render_items_into_the_root_body() {
    let server = FakeKlaviyo::start(Options::default()).await;
    let setup = environment(&server.base_url, KEY, None, None);
    let node: WebhookNode = serde_json::from_value(json!({
        "url": format!("{}/api/lists/{{{{ params.exclusion_list_id }}}}/relationships/profiles", server.base_url),
        "auth": "klaviyo",
        "headers": { "revision": "2026-07-15", "Accept": "application/json", "Content-Type": "application/json" },
        "body": { "data": "{{ items }}" },
        "batch": { "size": 2, "item": { "type": "profile", "id": "{{ customer.klaviyo_id }}" } },
    }))
    .unwrap();
    let mut env = setup.env.clone();
    env.auth.get_mut("klaviyo").unwrap().headers = BTreeMap::from([(
        "Authorization".to_owned(),
        "Klaviyo-API-Key {{ secret }}".to_owned(),
    )]);
    let action = WebhookAction::new("custom", &node, &env).unwrap();
    let mut input = items(3);
    input.insert(1, WebhookItem { key: "broken".into(), context: context! { params => context! { exclusion_list_id => "Y6nRLr" }, customer => Value::from(()) } });
    let outcomes = action.call(input).await;
    let keys: Vec<&str> = outcomes.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["c0", "broken", "c1", "c2"]);
    let WebhookOutcome::Failed {
        attempts: 0,
        reason,
        ..
    } = &outcomes[1].1
    else {
        panic!("{outcomes:?}")
    };
    assert!(
        reason.starts_with("webhook `custom`: batch.item: template `{{ customer.klaviyo_id }}`"),
        "{reason}"
    );
    assert!(outcomes.iter().filter(|(_, o)| o.is_done()).count() == 3);
    let bodies: Vec<serde_json::Value> = server.requests().iter().map(|r| r.json()).collect();
    assert_eq!(bodies.len(), 2);
    assert!(bodies.contains(&json!({ "data": [
        { "type": "profile", "id": "01PROFILE00000000000000000" },
        { "type": "profile", "id": "01PROFILE00000000000000001" },
    ]})));
    assert_eq!(server.members("Y6nRLr"), 3);
}

#[tokio::test]
async fn configuration_errors_name_the_node_and_field() {
    let setup = environment("http://127.0.0.1:9", KEY, None, None);
    let error = |node: &WebhookNode| {
        WebhookAction::new("n1", node, &setup.env)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error(&node(Some(Preset::KlaviyoAddToList), &[])),
        "webhook `n1`: `with.list_id`: required by `klaviyo.add_to_list`"
    );
    assert_eq!(
        error(&node(Some(Preset::KlaviyoUnsubscribe), &[("list", "x")])),
        "webhook `n1`: `with.list`: not a parameter of `klaviyo.unsubscribe` (use `list_id`, `channels`)"
    );
    let mut big = node(Some(Preset::KlaviyoUnsubscribe), &[]);
    big.batch = Some(Batch {
        size: 101,
        item: None,
    });
    assert_eq!(
        error(&big),
        "webhook `n1`: `batch.size`: 101 is not within 1..=100"
    );
    let mut unknown = node(Some(Preset::KlaviyoSubscribe), &[]);
    unknown.auth = Some("shopify".into());
    assert_eq!(
        error(&unknown),
        "webhook `n1`: `auth`: no auth schema named `shopify` in the project"
    );
    let mut slow = node(Some(Preset::KlaviyoSubscribe), &[("channels", "email,fax")]);
    assert!(error(&slow).contains("unknown channel `fax`"));
    slow.with.clear();
    slow.timeout = Some("forever".into());
    assert!(error(&slow).starts_with("webhook `n1`: `timeout`: invalid duration `forever`"));
}
