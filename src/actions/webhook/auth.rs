//! An auth schema made ready to send: its headers rendered with the secret and marked
//! sensitive, and the secret kept only to redact it from messages.

use reqwest::header::{HeaderName, HeaderValue};

use super::config_error::WebhookConfigError;
use crate::project::{AuthSchema, RateLimit, Secret};
use crate::template;

/// The header a Klaviyo preset sends when the schema gives no `Authorization`.
pub const KLAVIYO_AUTHORIZATION: &str = "Klaviyo-API-Key {{ secret }}";

/// A resolved auth schema.
#[derive(Debug, Clone)]
pub struct ResolvedAuth {
    /// The schema's name in the project.
    pub name: String,
    /// Headers with the secret rendered in, marked sensitive (their `Debug` hides them).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Base URL for preset paths.
    pub base_url: Option<String>,
    /// Klaviyo `revision` header value.
    pub revision: Option<String>,
    /// The schema's own rate limit.
    pub rate_limit: Option<RateLimit>,
    secret: Secret,
}

impl ResolvedAuth {
    /// Reads the secret and renders the headers; `default_authorization` is added when the
    /// schema has no `Authorization` header of its own.
    pub fn resolve(
        node: &str,
        name: &str,
        schema: &AuthSchema,
        root: &std::path::Path,
        default_authorization: Option<&str>,
    ) -> Result<Self, WebhookConfigError> {
        let secret = schema
            .secret
            .read(root)
            .map_err(|source| WebhookConfigError::Secret {
                node: node.to_owned(),
                schema: name.to_owned(),
                source,
            })?;
        let mut sources: Vec<(String, String)> = schema
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let has_authorization = sources
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
        if let (false, Some(default)) = (has_authorization, default_authorization) {
            sources.push(("Authorization".to_owned(), default.to_owned()));
        }
        let env = template::environment();
        let context = minijinja::context! { secret => secret.expose() };
        let mut headers = Vec::with_capacity(sources.len());
        for (header, source) in sources {
            let fail = |message: String| WebhookConfigError::AuthHeader {
                node: node.to_owned(),
                schema: name.to_owned(),
                header: header.clone(),
                message: secret.redact(&message),
            };
            let value =
                template::render(&env, &source, &context).map_err(|error| fail(error.message))?;
            let header_name = HeaderName::from_bytes(header.as_bytes())
                .map_err(|_| fail("not a valid header name".to_owned()))?;
            let mut header_value = HeaderValue::from_str(&value)
                .map_err(|_| fail("value is not a valid header value".to_owned()))?;
            header_value.set_sensitive(true);
            headers.push((header_name, header_value));
        }
        Ok(Self {
            name: name.to_owned(),
            headers,
            base_url: schema.base_url.clone(),
            revision: schema.revision.clone(),
            rate_limit: schema.rate_limit,
            secret,
        })
    }

    /// `text` with every occurrence of the secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        self.secret.redact(text)
    }
}
