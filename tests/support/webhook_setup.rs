//! Shared set-up of the webhook tests: an environment pointing at a loopback server,
//! nodes and customers.

use std::collections::BTreeMap;

use minijinja::context;
use serde_json::json;
use warmup::actions::{WebhookEnv, WebhookItem};
use warmup::project::{AuthSchema, RateLimit, SecretSource};
use warmup::scenario::model::{Preset, Retry, WebhookNode};

pub const KEY: &str = "pk_test_0123456789abcdef0123456789ab";

pub struct Setup {
    pub env: WebhookEnv,
    _dir: tempfile::TempDir,
}

/// An environment whose `klaviyo` auth schema points at `base_url`, with its key in a file.
pub fn environment(
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

pub fn fast() -> RateLimit {
    RateLimit {
        per_second: Some(10_000),
        per_minute: None,
        concurrency: Some(8),
    }
}

pub fn quick_retry(max_attempts: u32) -> Retry {
    Retry {
        max_attempts: Some(max_attempts),
        initial_backoff: Some("1ms".into()),
        max_backoff: Some("5ms".into()),
        max_elapsed: Some("30s".into()),
    }
}

pub fn node(preset: Option<Preset>, with: &[(&str, &str)]) -> WebhookNode {
    serde_json::from_value(json!({
        "preset": preset,
        "auth": "klaviyo",
        "with": with.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
    }))
    .unwrap()
}

pub fn item(i: usize) -> WebhookItem {
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

pub fn items(n: usize) -> Vec<WebhookItem> {
    (0..n).map(item).collect()
}
