//! The real side effects of `tick` and `run`: webhook nodes through
//! [`crate::actions::WebhookAction`] (auth, presets, batching, rate limits, retries) and
//! e-mail nodes through [`crate::actions::email::EmailAction`] (SMTP or outbox). Each node's
//! action is resolved on first use and kept; a node that cannot be resolved (a missing
//! secret, say) fails its customers with the reason instead of stopping the engine.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use crate::actions::email::{EmailAction, EmailOutcome, EmailTemplates, EmailTransport};
use crate::actions::{WebhookAction, WebhookEnv, WebhookOutcome};
use crate::engine::actions_port::{ActionOutcome, Actions, EmailRequest, WebhookRequest};
use crate::project::{EmailConfig, Project};

type Cached<T> = Mutex<HashMap<(String, String), Result<T, String>>>;

/// The project's real senders.
pub struct ProjectActions {
    runtime: tokio::runtime::Handle,
    webhook_env: WebhookEnv,
    email: Option<EmailSetup>,
    webhooks: Cached<WebhookAction>,
    emails: Cached<Arc<EmailAction>>,
}

struct EmailSetup {
    config: EmailConfig,
    root: PathBuf,
    templates: Arc<EmailTemplates>,
    transport: Result<Arc<EmailTransport>, String>,
}

impl ProjectActions {
    /// The senders of a project; their async work runs on `runtime`.
    pub fn new(project: &Project, runtime: tokio::runtime::Handle) -> Result<Self, String> {
        let webhook_env = WebhookEnv::new(project.file.auth.clone(), project.root.clone())
            .map_err(|e| format!("cannot create the HTTP client: {e}"))?;
        let email = project.file.email.as_ref().map(|config| {
            let transport = {
                let _guard = runtime.enter();
                EmailTransport::from_config(&config.transport, config.rate_limit, &project.root)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            };
            EmailSetup {
                config: config.clone(),
                root: project.root.clone(),
                templates: Arc::new(EmailTemplates::new(project.templates_dir())),
                transport,
            }
        });
        Ok(Self {
            runtime,
            webhook_env,
            email,
            webhooks: Mutex::new(HashMap::new()),
            emails: Mutex::new(HashMap::new()),
        })
    }

    fn email_action(&self, request: &EmailRequest<'_>) -> Result<Arc<EmailAction>, String> {
        let key = (request.scenario.to_owned(), request.node.to_owned());
        let mut cache = self.emails.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .entry(key)
            .or_insert_with(|| {
                let setup = self
                    .email
                    .as_ref()
                    .ok_or("the project file has no `email` section")?;
                let transport = setup.transport.clone()?;
                EmailAction::new(
                    request.node,
                    request.definition,
                    &setup.config,
                    &setup.root,
                    setup.templates.clone(),
                    transport,
                )
                .map(Arc::new)
                .map_err(|e| e.to_string())
            })
            .clone()
    }

    fn webhook_action(&self, request: &WebhookRequest<'_>) -> Result<WebhookAction, String> {
        let key = (request.scenario.to_owned(), request.node.to_owned());
        let mut cache = self.webhooks.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .entry(key)
            .or_insert_with(|| {
                WebhookAction::new(request.node, request.definition, &self.webhook_env)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }
}

impl Actions for ProjectActions {
    fn email(&self, request: &EmailRequest<'_>) -> ActionOutcome {
        self.email_with_id(request).0
    }

    fn email_with_id(&self, request: &EmailRequest<'_>) -> (ActionOutcome, Option<String>) {
        let action = match self.email_action(request) {
            Ok(action) => action,
            Err(reason) => return (ActionOutcome::Failed(reason), None),
        };
        let customer = request.customer.to_string();
        match self
            .runtime
            .block_on(action.send(&customer, request.context))
        {
            EmailOutcome::Delivered { message_id, .. } => (ActionOutcome::Done, Some(message_id)),
            EmailOutcome::Bounced { code, reason, .. } => {
                (ActionOutcome::Bounced(format!("{code} {reason}")), None)
            }
            EmailOutcome::Failed { reason, .. } => (ActionOutcome::Failed(reason), None),
        }
    }

    fn webhook(&self, request: &WebhookRequest<'_>) -> Vec<ActionOutcome> {
        let action = match self.webhook_action(request) {
            Ok(action) => action,
            Err(reason) => return vec![ActionOutcome::Failed(reason); request.items.len()],
        };
        let items = request
            .items
            .iter()
            .map(|item| crate::actions::WebhookItem {
                key: item.customer.to_string(),
                context: item.context.clone(),
            })
            .collect();
        let results = self.runtime.block_on(action.call(items));
        results
            .into_iter()
            .map(|(_, outcome)| match outcome {
                WebhookOutcome::Done { .. } => ActionOutcome::Done,
                WebhookOutcome::Failed { reason, .. } => ActionOutcome::Failed(reason),
            })
            .collect()
    }
}
