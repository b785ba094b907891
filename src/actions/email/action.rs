//! An e-mail node made ready to send: template, addresses, headers, unsubscribe links,
//! transport and retries of transient SMTP replies.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::Message;
use minijinja::{Environment, Value};
use tokio::time::Instant;

use super::error::EmailError;
use super::message::{mailbox, unsubscribe_url, MessageParts};
use super::outcome::EmailOutcome;
use super::templates::EmailTemplates;
use super::transport::{EmailTransport, SendError};
use crate::actions::retry_policy::RetryPolicy;
use crate::actions::unsubscribe_token;
use crate::project::{EmailConfig, Secret};
use crate::scenario::model::EmailNode;
use crate::template;

/// SMTP replies that reject the recipient for good: reported as `bounced`.
const BOUNCE_CODES: [u16; 4] = [550, 551, 552, 553];

/// An e-mail node, resolved; cheap to share, safe to call from many tasks.
#[derive(Debug)]
pub struct EmailAction {
    node: String,
    template: String,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    headers: Vec<(String, String)>,
    category: String,
    unsubscribe_base: String,
    unsubscribe_mailto: Option<String>,
    signing_key: Secret,
    templates: Arc<EmailTemplates>,
    transport: Arc<EmailTransport>,
    retry: RetryPolicy,
    env: Environment<'static>,
}

/// A message built and named, not yet sent: the engine may record its `message_id`
/// before handing it to [`EmailAction::deliver`].
#[derive(Debug, Clone)]
pub struct PreparedEmail {
    /// The `Message-ID`, angle brackets included.
    pub message_id: String,
    /// The template folder it was rendered from.
    pub template: String,
    message: Message,
}

impl EmailAction {
    /// Resolves `node` (id `node_id`) against the project's e-mail settings; reads the
    /// unsubscribe signing key (relative files resolve against `root`).
    pub fn new(
        node_id: &str,
        node: &EmailNode,
        config: &EmailConfig,
        root: &Path,
        templates: Arc<EmailTemplates>,
        transport: Arc<EmailTransport>,
    ) -> Result<Self, EmailError> {
        let from = mailbox("from", node.from.as_deref().unwrap_or(&config.from))?;
        let reply_to = match node.reply_to.as_ref().or(config.reply_to.as_ref()) {
            Some(value) => Some(mailbox("reply_to", value)?),
            None => None,
        };
        let signing_key = config
            .unsubscribe
            .signing_key
            .read(root)
            .map_err(|source| EmailError::Secret {
                field: "unsubscribe.signing_key",
                source,
            })?;
        let headers = config
            .headers
            .iter()
            .chain(&node.headers)
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        Ok(Self {
            node: node_id.to_owned(),
            template: node.template.clone(),
            from,
            reply_to,
            headers,
            category: node
                .category
                .clone()
                .unwrap_or_else(|| config.unsubscribe.category.clone()),
            unsubscribe_base: config.unsubscribe.base_url.clone(),
            unsubscribe_mailto: config.unsubscribe.mailto.clone(),
            signing_key,
            templates,
            transport,
            retry: RetryPolicy {
                max_attempts: 4,
                initial_backoff: Duration::from_secs(1),
                max_backoff: Duration::from_secs(60),
                max_elapsed: Duration::from_secs(300),
            },
            env: template::environment(),
        })
    }

    /// Replaces the policy for transient (4xx) replies.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Renders and builds the message for `customer_id` (its address is
    /// `customer.email` in `context`), with a fresh `Message-ID`.
    pub fn prepare(&self, customer_id: &str, context: &Value) -> Result<PreparedEmail, EmailError> {
        let name = template::render(&self.env, &self.template, context)
            .map_err(|error| EmailError::NameTemplate(error.to_string()))?;
        let to = context
            .get_attr("customer")
            .and_then(|customer| customer.get_attr("email"))
            .ok()
            .filter(|email| !email.is_undefined() && !email.is_none())
            .map(|email| email.to_string())
            .unwrap_or_default();
        let to = mailbox("customer.email", &to)?;
        let token = unsubscribe_token::sign(&self.signing_key, customer_id, &self.category);
        let url = unsubscribe_url(&self.unsubscribe_base, &token);
        let context = minijinja::context! { unsubscribe_url => url.clone(), ..context.clone() };
        let rendered = self.templates.render(&name, &context)?;
        let mut extra_headers = Vec::with_capacity(self.headers.len());
        for (header, source) in &self.headers {
            let value = template::render(&self.env, source, &context).map_err(|error| {
                EmailError::Header {
                    header: header.clone(),
                    message: error.to_string(),
                }
            })?;
            extra_headers.push((header.clone(), value));
        }
        let message_id = format!("<{}@{}>", ulid::Ulid::new(), self.from.email.domain());
        let message = MessageParts {
            from: self.from.clone(),
            reply_to: self.reply_to.clone(),
            to,
            rendered,
            message_id: message_id.clone(),
            unsubscribe_url: url,
            unsubscribe_mailto: self.unsubscribe_mailto.clone().map(|m| (m, token)),
            extra_headers,
        }
        .build()?;
        Ok(PreparedEmail {
            message_id,
            template: name,
            message,
        })
    }

    /// Sends a prepared message; transient (4xx) replies are retried with backoff.
    /// Errors without a reply are not retried: the server may have taken the message.
    pub async fn deliver(&self, prepared: &PreparedEmail) -> EmailOutcome {
        let start = Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let error = match self
                .transport
                .send(&prepared.message, &prepared.message_id)
                .await
            {
                Ok(()) => {
                    let message_id = prepared.message_id.clone();
                    return EmailOutcome::Delivered {
                        message_id,
                        attempts,
                    };
                }
                Err(error) => error,
            };
            let reason = error.to_string();
            match error {
                SendError::Reply { code, .. } if (400..500).contains(&code) => {
                    match self.retry.next_delay(attempts, start.elapsed(), None) {
                        Some(delay) => {
                            tracing::warn!(node = %self.node, attempts, ?delay, "e-mail retry: {reason}");
                            tokio::time::sleep(delay).await;
                        }
                        None => {
                            let reason = format!("{reason} (gave up after {attempts} attempts)");
                            return EmailOutcome::Failed {
                                code: Some(code),
                                reason,
                                attempts,
                            };
                        }
                    }
                }
                SendError::Reply { code, .. } if BOUNCE_CODES.contains(&code) => {
                    return EmailOutcome::Bounced {
                        code,
                        reason,
                        attempts,
                    };
                }
                SendError::Reply { code, .. } => {
                    return EmailOutcome::Failed {
                        code: Some(code),
                        reason,
                        attempts,
                    };
                }
                SendError::Connection(_) | SendError::Outbox { .. } => {
                    return EmailOutcome::Failed {
                        code: None,
                        reason,
                        attempts,
                    };
                }
            }
        }
    }

    /// [`prepare`](Self::prepare) then [`deliver`](Self::deliver); a message that cannot
    /// be built is `Failed` with 0 attempts.
    pub async fn send(&self, customer_id: &str, context: &Value) -> EmailOutcome {
        match self.prepare(customer_id, context) {
            Ok(prepared) => self.deliver(&prepared).await,
            Err(error) => EmailOutcome::Failed {
                code: None,
                reason: format!("e-mail `{}`: {error}", self.node),
                attempts: 0,
            },
        }
    }
}
