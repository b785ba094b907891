//! Webhook action against a Klaviyo-like HTTP server on loopback.

mod support;

use std::collections::BTreeMap;

use minijinja::{context, Value};
use serde_json::json;
use support::fake_klaviyo::{FakeKlaviyo, Options, Scripted};
use warmup::actions::{WebhookAction, WebhookEnv, WebhookItem, WebhookOutcome};
use warmup::project::{AuthSchema, RateLimit, SecretSource};
use warmup::scenario::model::{Batch, Preset, Retry, WebhookNode};

const KEY: &str = "pk_test_0123456789abcdef0123456789ab";

struct Setup {
    env: WebhookEnv,
    _dir: tempfile::TempDir,
}

/// An environment whose `klaviyo` auth schema points at `base_url`, with its key in a file.
fn environment(
    base_url: &str,
    key: &str,
    limit: Option<RateLimit>,
    revision: Option<&str>,
) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("klaviyo.key"), format!("{key}\n")).unwrap();
    let schema = AuthSchema {
        secret: SecretSource {
            env: None,
            file: Some("klaviyo.key".into()),
        },
        headers: BTreeMap::new(),
        base_url: Some(base_url.to_owned()),
        revision: revision.map(str::to_owned),
        rate_limit: limit,
    };
    let auth = BTreeMap::from([("klaviyo".to_owned(), schema)]);
    let env = WebhookEnv::new(auth, dir.path().to_owned()).unwrap();
    Setup { env, _dir: dir }
}

fn fast() -> RateLimit {
    RateLimit {
        per_second: Some(10_000),
        per_minute: None,
        concurrency: Some(8),
    }
}

fn quick_retry(max_attempts: u32) -> Retry {
    Retry {
        max_attempts: Some(max_attempts),
        initial_backoff: Some("1ms".into()),
        max_backoff: Some("5ms".into()),
        max_elapsed: Some("30s".into()),
    }
}

fn node(preset: Option<Preset>, with: &[(&str, &str)]) -> WebhookNode {
    serde_json::from_value(json!({
        "preset": preset,
        "auth": "klaviyo",
        "with": with.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
    }))
    .unwrap()
}

fn item(i: usize) -> WebhookItem {
    let customer = context! {
        id => format!("c{i}"),
        email => format!("user{i}@example.com"),
        klaviyo_id => format!("01PROFILE{i:017}"),
        phone_number => format!("+1500555{i:04}"),
    };
    WebhookItem {
        key: format!("c{i}"),
        context: context! {
            customer => customer,
            params => context! { exclusion_list_id => "Y6nRLr" },
            run => context! { id => "run-1" },
            day => 1,
            now => "2026-12-01T09:00:00Z",
        },
    }
}

fn items(n: usize) -> Vec<WebhookItem> {
    (0..n).map(item).collect()
}

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
