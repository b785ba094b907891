//! A webhook node made ready to call: templates, auth, batching, limits and retries.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use minijinja::{Environment, Value};
use reqwest::header::RETRY_AFTER;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::auth::{ResolvedAuth, KLAVIYO_AUTHORIZATION};
use super::call_error::ItemError;
use super::config_error::WebhookConfigError;
use super::custom::CustomRequest;
use super::env::WebhookEnv;
use super::isolate::settle;
use super::klaviyo::{self, KlaviyoRequest};
use super::limits;
use super::outcome::{classify, StatusClass, WebhookOutcome};
use super::prepared::Prepared;
use super::{ItemKey, WebhookItem};
use crate::actions::duration::parse_duration;
use crate::actions::error_chain::error_chain;
use crate::actions::rate_limiter::{Permit, RateLimiter};
use crate::actions::retry_policy::{parse_retry_after, RetryPolicy};
use crate::scenario::model::{Preset, WebhookNode};
use crate::template;

/// Requests one call keeps in flight when no rate limit bounds concurrency.
const DEFAULT_CONCURRENCY: usize = 16;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A webhook node, resolved; cheap to clone, safe to call from many tasks.
#[derive(Debug, Clone)]
pub struct WebhookAction {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Shape {
    Custom(CustomRequest),
    Klaviyo(KlaviyoRequest),
}

#[derive(Debug)]
struct Inner {
    node: String,
    preset: Option<Preset>,
    shape: Shape,
    batch_size: usize,
    limiters: Vec<Arc<RateLimiter>>,
    in_flight: Arc<Semaphore>,
    retry: RetryPolicy,
    timeout: Duration,
    client: reqwest::Client,
    auth: Option<ResolvedAuth>,
    templates: Environment<'static>,
}

/// One customer waiting for its batch: input position, key, context, rendered item.
type Member = (usize, ItemKey, Value, serde_json::Value);

impl WebhookAction {
    /// Resolves `node` (id `node_id`): reads the auth schema's secret, checks the preset's
    /// parameters, and picks the rate limiters it shares with other nodes.
    pub fn new(
        node_id: &str,
        node: &WebhookNode,
        env: &WebhookEnv,
    ) -> Result<Self, WebhookConfigError> {
        let auth = match &node.auth {
            None => None,
            Some(name) => {
                let schema = env
                    .auth
                    .get(name)
                    .ok_or_else(|| WebhookConfigError::UnknownAuth {
                        node: node_id.to_owned(),
                        name: name.clone(),
                    })?;
                let default = node.preset.map(|_| KLAVIYO_AUTHORIZATION);
                Some(ResolvedAuth::resolve(
                    node_id,
                    name,
                    schema,
                    &env.project_root,
                    default,
                )?)
            }
        };
        let (shape, max_batch) = match (node.preset, &node.url, &auth) {
            (Some(preset), None, Some(auth)) => {
                let request = KlaviyoRequest::new(node_id, preset, &node.with, auth)?;
                (Shape::Klaviyo(request), preset.max_batch())
            }
            (Some(preset), None, None) => {
                return Err(WebhookConfigError::PresetNeedsAuth {
                    node: node_id.to_owned(),
                    preset: preset.name(),
                })
            }
            (None, Some(url), _) => (
                Shape::Custom(CustomRequest::new(node_id, node, url)?),
                usize::MAX,
            ),
            _ => {
                return Err(WebhookConfigError::PresetOrUrl {
                    node: node_id.to_owned(),
                })
            }
        };
        let batch_size = match (&node.batch, node.preset) {
            (Some(batch), _) => batch.size,
            (None, Some(preset)) => preset.max_batch(),
            (None, None) => 1,
        };
        if batch_size == 0 || batch_size > max_batch {
            return Err(WebhookConfigError::BatchSize {
                node: node_id.to_owned(),
                size: batch_size,
                max: max_batch,
            });
        }
        let duration_error = |source| WebhookConfigError::Duration {
            node: node_id.to_owned(),
            source,
        };
        let retry = RetryPolicy::from_model(node.retry.as_ref()).map_err(duration_error)?;
        let timeout = parse_duration("timeout", node.timeout.as_deref(), DEFAULT_TIMEOUT)
            .map_err(duration_error)?;
        let limiters = limits::limiters(node_id, node, auth.as_ref(), env);
        let concurrency = limiters
            .iter()
            .filter_map(|limiter| limiter.limit().concurrency)
            .min()
            .map_or(DEFAULT_CONCURRENCY, |n| n.max(1) as usize);
        Ok(Self {
            inner: Arc::new(Inner {
                node: node_id.to_owned(),
                preset: node.preset,
                shape,
                batch_size,
                limiters,
                in_flight: Arc::new(Semaphore::new(concurrency)),
                retry,
                timeout,
                client: env.client.clone(),
                auth,
                templates: template::environment(),
            }),
        })
    }

    /// Most customers one request carries.
    pub fn batch_size(&self) -> usize {
        self.inner.batch_size
    }

    /// Calls the endpoint for every item (batched when the node batches) and returns one
    /// outcome per item, in input order. Never fails as a whole: an item whose templates
    /// do not render fails alone, without a request.
    pub async fn call(&self, items: Vec<WebhookItem>) -> Vec<(ItemKey, WebhookOutcome)> {
        let mut results: Vec<(usize, ItemKey, WebhookOutcome)> = Vec::with_capacity(items.len());
        let mut pending: HashMap<BTreeMap<String, String>, Vec<Member>> = HashMap::new();
        let mut tasks = JoinSet::new();
        for (index, item) in items.into_iter().enumerate() {
            let prepared = match self.inner.prepare_item(&item.context) {
                Ok(prepared) => prepared,
                Err(error) => {
                    results.push((index, item.key, self.inner.unsent(&error)));
                    continue;
                }
            };
            let member = (index, item.key, item.context, prepared.item);
            let members = match pending.get_mut(&prepared.group) {
                Some(members) => members,
                None => pending.entry(prepared.group.clone()).or_default(),
            };
            members.push(member);
            // A full batch leaves at once, so sending overlaps preparing the rest.
            if members.len() >= self.inner.batch_size {
                let chunk = std::mem::take(members);
                self.spawn_chunk(&mut tasks, prepared.group, chunk);
                tokio::task::yield_now().await;
            }
        }
        for (group, chunk) in pending {
            if !chunk.is_empty() {
                self.spawn_chunk(&mut tasks, group, chunk);
            }
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(chunk) => results.extend(chunk),
                // Tasks do not panic on input; if one did, re-raise rather than lose items.
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            }
        }
        results.sort_by_key(|(index, _, _)| *index);
        results
            .into_iter()
            .map(|(_, key, outcome)| (key, outcome))
            .collect()
    }
}

impl WebhookAction {
    fn spawn_chunk(
        &self,
        tasks: &mut JoinSet<Vec<(usize, ItemKey, WebhookOutcome)>>,
        group: BTreeMap<String, String>,
        chunk: Vec<Member>,
    ) {
        let inner = self.inner.clone();
        tasks.spawn(async move { inner.send_chunk(&group, chunk).await });
    }
}

impl Inner {
    fn prepare_item(&self, context: &Value) -> Result<super::prepared::PreparedItem, ItemError> {
        match &self.shape {
            Shape::Custom(request) => request.prepare_item(&self.templates, context),
            Shape::Klaviyo(request) => request.prepare_item(context),
        }
    }

    fn unsent(&self, error: &ItemError) -> WebhookOutcome {
        WebhookOutcome::Failed {
            status: None,
            attempts: 0,
            reason: self.redact(&format!("webhook `{}`: {error}", self.node)),
        }
    }

    /// Sends a batch; when it fails for good because of some of its customers, isolates them
    /// (see [`super::isolate`]) so that each customer gets its own outcome.
    async fn send_chunk(
        &self,
        group: &BTreeMap<String, String>,
        chunk: Vec<Member>,
    ) -> Vec<(usize, ItemKey, WebhookOutcome)> {
        let Some(first) = chunk.first().map(|(_, _, context, _)| context.clone()) else {
            return Vec::new();
        };
        let mut keys = Vec::with_capacity(chunk.len());
        let mut items = Vec::with_capacity(chunk.len());
        for (index, key, _, item) in chunk {
            keys.push((index, key));
            items.push(item);
        }
        let pointer = self.item_pointer();
        let send = |items| self.send_part(group, &first, items);
        settle(keys, items, pointer, send)
            .await
            .into_iter()
            .map(|((index, key), outcome)| (index, key, outcome))
            .collect()
    }

    /// Where the API points at bad items of a batch, for Klaviyo's calls.
    fn item_pointer(&self) -> Option<&'static str> {
        match &self.shape {
            Shape::Klaviyo(request) => request.item_pointer(),
            Shape::Custom(_) => None,
        }
    }

    /// One batch (or part of one), with retries: the outcome and the last answer's body.
    async fn send_part(
        &self,
        group: &BTreeMap<String, String>,
        first: &Value,
        items: Vec<serde_json::Value>,
    ) -> (WebhookOutcome, Vec<u8>) {
        let prepared = match &self.shape {
            Shape::Custom(request) => {
                request
                    .build(&self.templates, first, group, items)
                    .map(|mut prepared| {
                        if let Some(auth) = &self.auth {
                            prepared.headers.extend(auth.headers.iter().cloned());
                        }
                        prepared
                    })
            }
            Shape::Klaviyo(request) => Ok(request.build(group, items)),
        };
        match prepared {
            Ok(prepared) => self.send_with_retries(&prepared).await,
            Err(error) => (self.unsent(&error), Vec::new()),
        }
    }

    async fn send_with_retries(&self, prepared: &Prepared) -> (WebhookOutcome, Vec<u8>) {
        let start = Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (status, retry_after, reason) = match self.attempt(prepared).await {
                Ok((status, retry_after, body)) => match self.judge(status, &body, attempts) {
                    Ok(outcome) => return (outcome, body),
                    Err(reason) => (Some(status), retry_after, reason),
                },
                Err(reason) => (None, None, reason),
            };
            match self
                .retry
                .next_delay(attempts, start.elapsed(), retry_after)
            {
                Some(delay) => {
                    tracing::warn!(node = %self.node, attempts, ?delay, "webhook retry: {reason}");
                    tokio::time::sleep(delay).await;
                }
                None => {
                    let reason = format!("{reason} (gave up after {attempts} attempts)");
                    let outcome = WebhookOutcome::Failed {
                        status,
                        attempts,
                        reason,
                    };
                    return (outcome, Vec::new());
                }
            }
        }
    }

    /// Final outcome for an answer, or the reason to retry it.
    fn judge(&self, status: u16, body: &[u8], attempts: u32) -> Result<WebhookOutcome, String> {
        let create = self.preset == Some(Preset::KlaviyoCreateProfile);
        let profile_id = if create {
            klaviyo::profile_id(status, body)
        } else {
            None
        };
        let reason = || self.redact(&format!("HTTP {status}: {}", klaviyo::error_summary(body)));
        match classify(status) {
            StatusClass::Success => Ok(WebhookOutcome::Done {
                status,
                attempts,
                profile_id,
                duplicate: false,
            }),
            StatusClass::Fail if status == 409 && profile_id.is_some() => {
                Ok(WebhookOutcome::Done {
                    status,
                    attempts,
                    profile_id,
                    duplicate: true,
                })
            }
            StatusClass::Fail => Ok(WebhookOutcome::Failed {
                status: Some(status),
                attempts,
                reason: reason(),
            }),
            StatusClass::Retry => Err(reason()),
        }
    }

    /// One request: status, `Retry-After` and body, or why no answer came.
    async fn attempt(
        &self,
        prepared: &Prepared,
    ) -> Result<(u16, Option<Duration>, Vec<u8>), String> {
        let _permits = self.permits().await;
        let mut request = self
            .client
            .request(prepared.method.clone(), &prepared.url)
            .timeout(self.timeout);
        for (name, value) in &prepared.headers {
            request = request.header(name, value);
        }
        if let Some(body) = &prepared.body {
            request = request.body(body.clone());
        }
        let failed = |error: reqwest::Error| self.redact(&error_chain(&error));
        let response = request.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, chrono::Utc::now()));
        let body = response.bytes().await.map_err(failed)?;
        Ok((status, retry_after, body.to_vec()))
    }

    async fn permits(&self) -> (Option<tokio::sync::SemaphorePermit<'_>>, Vec<Permit>) {
        // The semaphore is never closed, so acquiring cannot fail.
        let slot = self.in_flight.acquire().await.ok();
        let mut permits = Vec::with_capacity(self.limiters.len());
        for limiter in &self.limiters {
            permits.push(limiter.acquire().await);
        }
        (slot, permits)
    }

    fn redact(&self, text: &str) -> String {
        match &self.auth {
            Some(auth) => auth.redact(text),
            None => text.to_owned(),
        }
    }
}
