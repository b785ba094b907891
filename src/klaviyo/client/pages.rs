//! Cursor pagination: fetch a page, then follow `links.next` verbatim until it is null.

use std::marker::PhantomData;
use std::sync::atomic::Ordering;

use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::client::KlaviyoClient;
use super::error::KlaviyoError;
use super::model::{Page, Resource};

/// Pages of a collection, fetched one at a time.
pub struct Pages<'c, A> {
    client: &'c KlaviyoClient,
    next: Option<Url>,
    _attributes: PhantomData<A>,
}

impl<'c, A: DeserializeOwned> Pages<'c, A> {
    /// Pages starting at `first`; each fetched page counts in the client's stats.
    pub fn new(client: &'c KlaviyoClient, first: Url) -> Self {
        Self {
            client,
            next: Some(first),
            _attributes: PhantomData,
        }
    }

    /// The next page, or `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Page<A>>, KlaviyoError> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        let path = url.path().to_owned();
        let answer = self.client.send(Method::GET, url, None).await?;
        self.client.stats().pages.fetch_add(1, Ordering::Relaxed);
        let mut body = answer.body;
        let decode = |message: String| KlaviyoError::Decode {
            path: path.clone(),
            message,
        };
        let data: Vec<Resource<A>> = serde_json::from_value(body["data"].take())
            .map_err(|e| decode(format!("`data`: {e}")))?;
        self.next = match body["links"]["next"].as_str() {
            Some(link) if !link.is_empty() => Some(self.client.follow(link)?),
            _ => None,
        };
        let included = match body["included"].take() {
            Value::Array(items) => items,
            _ => Vec::new(),
        };
        Ok(Some(Page { data, included }))
    }
}
