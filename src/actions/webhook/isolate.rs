//! Failure isolation for batched calls: when a batch fails for good with a 4xx that is about
//! its content, find the customers it failed for instead of failing everyone.
//!
//! Where the answer names the bad items (JSON:API `errors[].source.pointer` into the request's
//! item array, as Klaviyo's list and subscription calls do), those items fail with the answer
//! and the rest is sent again; otherwise the batch is halved, down to single customers. Every
//! request goes through the node's rate limiters, so isolating never breaks them. Answers that
//! concern the whole request — authentication (401, 403), a wrong method or media type, an
//! error about a path or query parameter (`source.parameter`, e.g. an unknown list) — fail the
//! batch as before.

use std::future::Future;

use serde_json::Value;

use super::outcome::WebhookOutcome;

/// Sends a batch of `items` (one per key) with `send`, isolating the bad items of a refused
/// batch until every key has its own outcome. `item_pointer` is where the API points at bad
/// items, if it does.
pub async fn settle<K, F, Fut>(
    keys: Vec<K>,
    items: Vec<Value>,
    item_pointer: Option<&str>,
    mut send: F,
) -> Vec<(K, WebhookOutcome)>
where
    F: FnMut(Vec<Value>) -> Fut,
    Fut: Future<Output = (WebhookOutcome, Vec<u8>)>,
{
    let mut results = Vec::with_capacity(keys.len());
    // Parts still to send, with the requests their customers saw before.
    let mut parts = vec![(keys, items, 0u32)];
    while let Some((mut keys, mut items, earlier)) = parts.pop() {
        let (outcome, body) = send(items.clone()).await;
        let outcome = outcome.after(earlier);
        let attempts = outcome.attempts();
        match isolation(&outcome, &body, keys.len(), item_pointer) {
            Isolation::Settled => {
                results.extend(keys.into_iter().map(|key| (key, outcome.clone())));
            }
            Isolation::Named(bad) => {
                let (mut good_keys, mut good_items) = (Vec::new(), Vec::new());
                for (position, (key, item)) in keys.into_iter().zip(items).enumerate() {
                    if bad.binary_search(&position).is_ok() {
                        results.push((key, outcome.clone()));
                    } else {
                        good_keys.push(key);
                        good_items.push(item);
                    }
                }
                parts.push((good_keys, good_items, attempts));
            }
            Isolation::Halve => {
                let half = keys.len() / 2;
                let (later_keys, later_items) = (keys.split_off(half), items.split_off(half));
                parts.push((later_keys, later_items, attempts));
                parts.push((keys, items, attempts));
            }
        }
    }
    results
}

/// What to do with a batch after its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    /// The outcome holds for every customer of the batch.
    Settled,
    /// These item positions were bad: they fail with the outcome, the rest is sent again.
    Named(Vec<usize>),
    /// Nothing says who was bad: send each half on its own.
    Halve,
}

/// Whether a final 4xx may be about some items only.
fn about_content(status: u16) -> bool {
    (400..500).contains(&status) && !matches!(status, 401 | 403 | 405 | 407 | 408 | 415 | 429)
}

/// Decides for a batch of `len` items answered with `outcome` and `body`. `item_prefix` is the
/// JSON pointer of the request's item array (e.g. `/data`) when the API points at bad items.
pub fn isolation(
    outcome: &WebhookOutcome,
    body: &[u8],
    len: usize,
    item_prefix: Option<&str>,
) -> Isolation {
    let WebhookOutcome::Failed {
        status: Some(status),
        ..
    } = outcome
    else {
        return Isolation::Settled;
    };
    if len < 2 || !about_content(*status) {
        return Isolation::Settled;
    }
    let errors: Vec<Value> = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|body| body.get("errors").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    if errors
        .iter()
        .any(|e| e.pointer("/source/parameter").is_some_and(|p| !p.is_null()))
    {
        return Isolation::Settled;
    }
    if let Some(prefix) = item_prefix {
        let mut named: Vec<usize> = errors
            .iter()
            .filter_map(|e| e.pointer("/source/pointer").and_then(Value::as_str))
            .filter_map(|pointer| item_index(pointer, prefix))
            .filter(|&index| index < len)
            .collect();
        named.sort_unstable();
        named.dedup();
        if named.len() == len {
            return Isolation::Settled;
        }
        if !named.is_empty() {
            return Isolation::Named(named);
        }
    }
    Isolation::Halve
}

/// The item position a pointer such as `/data/3/id` names under `prefix` (`/data`).
fn item_index(pointer: &str, prefix: &str) -> Option<usize> {
    let rest = pointer.strip_prefix(prefix)?.strip_prefix('/')?;
    rest.split('/').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(status: u16) -> WebhookOutcome {
        WebhookOutcome::Failed {
            status: Some(status),
            attempts: 1,
            reason: "HTTP".into(),
        }
    }

    #[test]
    fn pointers_name_items_and_parameters_concern_the_request() {
        let body = br#"{"errors":[{"code":"not_found","source":{"pointer":"/data/7/id"}},
            {"code":"not_found","source":{"pointer":"/data/2/id"}}]}"#;
        assert_eq!(
            isolation(&failed(404), body, 10, Some("/data")),
            Isolation::Named(vec![2, 7])
        );
        let list = br#"{"errors":[{"code":"not_found","source":{"parameter":"id"}}]}"#;
        assert_eq!(
            isolation(&failed(404), list, 10, Some("/data")),
            Isolation::Settled
        );
        let job = br#"{"errors":[{"source":{"pointer":"/data/attributes/profiles/data/4/attributes/email"}}]}"#;
        assert_eq!(
            isolation(&failed(400), job, 5, Some("/data/attributes/profiles/data")),
            Isolation::Named(vec![4])
        );
    }

    #[test]
    fn unexplained_content_errors_halve_and_the_rest_settles() {
        assert_eq!(isolation(&failed(400), b"bad", 10, None), Isolation::Halve);
        assert_eq!(isolation(&failed(400), b"bad", 1, None), Isolation::Settled);
        assert_eq!(isolation(&failed(401), b"", 10, None), Isolation::Settled);
        assert_eq!(isolation(&failed(429), b"", 10, None), Isolation::Settled);
        let done = WebhookOutcome::Done {
            status: 204,
            attempts: 1,
            profile_id: None,
            duplicate: false,
        };
        assert_eq!(isolation(&done, b"", 10, None), Isolation::Settled);
        let everyone = br#"{"errors":[{"source":{"pointer":"/data/0/id"}},{"source":{"pointer":"/data/1/id"}}]}"#;
        assert_eq!(
            isolation(&failed(404), everyone, 2, Some("/data")),
            Isolation::Settled
        );
    }
}
