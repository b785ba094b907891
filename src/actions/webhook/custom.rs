//! A webhook written out in the scenario: method, URL, headers and body templates.

use std::collections::BTreeMap;

use minijinja::{Environment, Value};
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::Method;

use super::call_error::ItemError;
use super::compiled::CompiledStrings;
use super::config_error::WebhookConfigError;
use super::json_template::render_json;
use super::prepared::{Prepared, PreparedItem};
use crate::scenario::model::{HttpMethod, WebhookNode};
use crate::template;

/// The templates of a custom webhook.
#[derive(Debug)]
pub struct CustomRequest {
    method: Method,
    strings: CompiledStrings,
    headers: Vec<String>,
    body: Option<serde_json::Value>,
    batched: bool,
    item: Option<serde_json::Value>,
}

impl CustomRequest {
    /// The templates of `node`, which has a `url`; a template that does not compile is
    /// an error naming its field.
    pub fn new(node_id: &str, node: &WebhookNode, url: &str) -> Result<Self, WebhookConfigError> {
        let mut strings = CompiledStrings::default();
        let fields = std::iter::once(("url".to_owned(), url)).chain(
            node.headers
                .iter()
                .map(|(k, v)| (format!("headers.{k}"), v.as_str())),
        );
        for (field, source) in fields {
            strings
                .add(&field, source)
                .map_err(|error| WebhookConfigError::Template {
                    node: node_id.to_owned(),
                    field: field.clone(),
                    message: error.to_string(),
                })?;
        }
        Ok(Self {
            method: method(node.method.unwrap_or_default()),
            strings,
            headers: node.headers.keys().cloned().collect(),
            body: node.body.clone(),
            batched: node.batch.is_some(),
            item: node.batch.as_ref().and_then(|batch| batch.item.clone()),
        })
    }

    /// Renders the URL (customers with the same URL share a batch) and the item.
    pub fn prepare_item(
        &self,
        env: &Environment<'_>,
        context: &Value,
    ) -> Result<PreparedItem, ItemError> {
        let url = self.render("url", context)?;
        let item = match (&self.item, self.batched) {
            (Some(item), _) => render_json(env, item, context)
                .map_err(|error| ItemError::new("batch.item", error.to_string()))?,
            // Without an item template, a batch carries each customer as it is.
            (None, true) => context
                .get_attr("customer")
                .ok()
                .and_then(|customer| serde_json::to_value(customer).ok())
                .unwrap_or(serde_json::Value::Null),
            (None, false) => serde_json::Value::Null,
        };
        Ok(PreparedItem {
            group: BTreeMap::from([("url".to_owned(), url)]),
            item,
        })
    }

    /// Renders headers and body in the first customer's context, plus `items` in batch mode.
    pub fn build(
        &self,
        env: &Environment<'_>,
        first: &Value,
        group: &BTreeMap<String, String>,
        items: Vec<serde_json::Value>,
    ) -> Result<Prepared, ItemError> {
        let context = if self.batched {
            minijinja::context! { items => Value::from_serialize(&items), ..first.clone() }
        } else {
            first.clone()
        };
        let mut headers = Vec::with_capacity(self.headers.len() + 1);
        for name in &self.headers {
            let field = format!("headers.{name}");
            let value = self.render(&field, &context)?;
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ItemError::new(&field, "not a valid header name"))?;
            let value = HeaderValue::from_str(&value)
                .map_err(|_| ItemError::new(&field, "not a valid header value"))?;
            headers.push((name, value));
        }
        let body = match &self.body {
            None => None,
            Some(serde_json::Value::String(source)) => Some(
                template::render(env, source, &context)
                    .map_err(|error| ItemError::new("body", error.to_string()))?
                    .into_bytes(),
            ),
            Some(value) => {
                let rendered = render_json(env, value, &context)
                    .map_err(|error| ItemError::new("body", error.to_string()))?;
                if !headers.iter().any(|(name, _)| name == CONTENT_TYPE) {
                    headers.push((CONTENT_TYPE, HeaderValue::from_static("application/json")));
                }
                Some(serde_json::to_vec(&rendered).unwrap_or_default())
            }
        };
        Ok(Prepared {
            method: self.method.clone(),
            url: group.get("url").cloned().unwrap_or_default(),
            headers,
            body,
        })
    }
}

impl CustomRequest {
    fn render(&self, field: &str, context: &Value) -> Result<String, ItemError> {
        self.strings
            .render(field, context)
            .unwrap_or_else(|| Ok(String::new()))
            .map_err(|error| ItemError::new(field, error.to_string()))
    }
}

fn method(method: HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Delete => Method::DELETE,
    }
}
