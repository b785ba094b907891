//! The HTTP core of the client: headers, pacing, retries, error decoding.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use super::error::{excerpt, KlaviyoError};
use super::pacer::{bucket_of, Pacer};
use super::retry::{retryable_status, RetryPolicy};
use crate::project::Secret;

/// Klaviyo's production API.
pub const DEFAULT_BASE_URL: &str = "https://a.klaviyo.com";
/// The revision pinned unless configured otherwise.
pub const DEFAULT_REVISION: &str = "2026-07-15";
const JSON_API: &str = "application/vnd.api+json";

/// Counters of one client, shared by its clones.
#[derive(Debug, Default)]
pub struct ClientStats {
    /// Requests sent (including retries).
    pub requests: AtomicU64,
    /// Retries after 429, 5xx or connection errors.
    pub retries: AtomicU64,
    /// 429 answers received.
    pub throttled: AtomicU64,
    /// Collection pages fetched.
    pub pages: AtomicU64,
}

/// A successful answer.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// The JSON body (`Null` for empty 202/204 bodies).
    pub body: Value,
}

/// A Klaviyo API client. Cheap to clone; clones share pacing and counters.
#[derive(Clone)]
pub struct KlaviyoClient {
    http: reqwest::Client,
    base: Url,
    key: Secret,
    revision: String,
    retry: RetryPolicy,
    pacer: Arc<Pacer>,
    stats: Arc<ClientStats>,
}

impl std::fmt::Debug for KlaviyoClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KlaviyoClient")
            .field("base", &self.base.as_str())
            .field("revision", &self.revision)
            .finish_non_exhaustive()
    }
}

impl KlaviyoClient {
    /// A client for `base_url` (e.g. [`DEFAULT_BASE_URL`]) with a private key and revision.
    pub fn new(base_url: &str, key: Secret, revision: &str) -> Result<Self, KlaviyoError> {
        let base = Url::parse(base_url).map_err(|e| KlaviyoError::Url {
            url: base_url.to_owned(),
            reason: e.to_string(),
        })?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("warmup/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| KlaviyoError::Transport {
                url: base_url.to_owned(),
                message: e.to_string(),
            })?;
        Ok(Self {
            http,
            base,
            key,
            revision: revision.to_owned(),
            retry: RetryPolicy::default(),
            pacer: Arc::new(Pacer::default()),
            stats: Arc::new(ClientStats::default()),
        })
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The counters.
    pub fn stats(&self) -> &ClientStats {
        &self.stats
    }

    /// Requests sent so far.
    pub fn requests(&self) -> u64 {
        self.stats.requests.load(Ordering::Relaxed)
    }

    /// Collection pages fetched so far.
    pub fn pages(&self) -> u64 {
        self.stats.pages.load(Ordering::Relaxed)
    }

    /// Retries so far.
    pub fn retries(&self) -> u64 {
        self.stats.retries.load(Ordering::Relaxed)
    }

    /// An absolute URL for an API path and query pairs.
    pub fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, KlaviyoError> {
        let mut url = self.base.join(path).map_err(|e| KlaviyoError::Url {
            url: path.to_owned(),
            reason: e.to_string(),
        })?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    /// Parses a `links.next` URL, refusing any that leaves the configured origin (the key
    /// must never be sent elsewhere).
    pub fn follow(&self, link: &str) -> Result<Url, KlaviyoError> {
        let url = Url::parse(link).map_err(|e| KlaviyoError::Url {
            url: link.to_owned(),
            reason: e.to_string(),
        })?;
        if url.origin() != self.base.origin() {
            return Err(KlaviyoError::Url {
                url: link.to_owned(),
                reason: format!(
                    "`links.next` leaves {}",
                    self.base.origin().ascii_serialization()
                ),
            });
        }
        Ok(url)
    }

    fn headers(&self, with_body: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let auth = format!("Klaviyo-API-Key {}", self.key.expose());
        if let Ok(mut value) = HeaderValue::from_str(&auth) {
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        if let Ok(value) = HeaderValue::from_str(&self.revision) {
            headers.insert("revision", value);
        }
        headers.insert(ACCEPT, HeaderValue::from_static(JSON_API));
        if with_body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_API));
        }
        headers
    }

    /// Sends a request, pacing, retrying and decoding as described in the module docs.
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Answer, KlaviyoError> {
        let bucket = bucket_of(url.path());
        let mut retry = 0;
        loop {
            let wait = self.pacer.wait_for(&bucket);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let outcome = self.attempt(&method, &url, body, &bucket).await;
            let (error, retry_after) = match outcome {
                Ok(answer) => return Ok(answer),
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Retryable(error, retry_after)) => (error, retry_after),
            };
            if retry >= self.retry.max_retries {
                return Err(KlaviyoError::RetriesExhausted {
                    attempts: retry + 1,
                    last: Box::new(error),
                });
            }
            let delay = self.retry.delay(retry, retry_after);
            tracing::debug!(%error, ?delay, "retrying Klaviyo request");
            self.pacer.hold(&bucket, delay);
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            retry += 1;
        }
    }

    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&Value>,
        bucket: &str,
    ) -> Result<Answer, Failure> {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .headers(self.headers(body.is_some()));
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.map_err(|e| {
            Failure::Retryable(
                KlaviyoError::Transport {
                    url: url.to_string(),
                    message: self.key.redact(&e.without_url().to_string()),
                },
                None,
            )
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|e| {
            Failure::Retryable(
                KlaviyoError::Transport {
                    url: url.to_string(),
                    message: e.without_url().to_string(),
                },
                None,
            )
        })?;
        if status.is_success() {
            self.pacer.observe(bucket, &headers);
            let body = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).map_err(|e| {
                    Failure::Final(KlaviyoError::Decode {
                        path: url.path().to_owned(),
                        message: e.to_string(),
                    })
                })?
            };
            return Ok(Answer { status, body });
        }
        let error = self.error_of(method, url, status, &text);
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.stats.throttled.fetch_add(1, Ordering::Relaxed);
        }
        if retryable_status(status.as_u16()) {
            let after = headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(Failure::Retryable(error, after));
        }
        Err(Failure::Final(error))
    }

    fn error_of(&self, method: &Method, url: &Url, status: StatusCode, text: &str) -> KlaviyoError {
        let path = url.path().to_owned();
        let first = serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| v["errors"].get(0).cloned());
        let Some(first) = first else {
            return KlaviyoError::Http {
                method: method.to_string(),
                path,
                status: status.as_u16(),
                excerpt: self.key.redact(&excerpt(text)),
            };
        };
        let field = |name: &str| self.key.redact(first[name].as_str().unwrap_or(""));
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return KlaviyoError::Authentication {
                status: status.as_u16(),
                detail: field("detail"),
            };
        }
        KlaviyoError::Api {
            method: method.to_string(),
            path,
            status: status.as_u16(),
            code: field("code"),
            detail: field("detail"),
        }
    }
}

enum Failure {
    Final(KlaviyoError),
    Retryable(KlaviyoError, Option<Duration>),
}
