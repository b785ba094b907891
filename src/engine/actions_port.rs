//! The side effects of action nodes, behind a trait: the engine decides who gets what and
//! keeps the ledger; an [`Actions`] implementation performs the send. [`CapturingActions`]
//! records what would be sent (simulation, and `tick`/`run` until a transport is wired in).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::scenario::model::{EmailNode, WebhookNode};

/// One e-mail to send.
#[derive(Debug, Clone)]
pub struct EmailRequest<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// Run id.
    pub run: u64,
    /// Node id.
    pub node: &'a str,
    /// The node as written.
    pub definition: &'a EmailNode,
    /// Customer id.
    pub customer: u64,
    /// Recipient.
    pub to: &'a str,
    /// The rendered template name.
    pub template: &'a str,
    /// Mailbox provider of the recipient.
    pub provider: &'a str,
    /// `day` of the run.
    pub day: u32,
    /// The template context (`customer`, `params`, `run`, `day`, `now`, …).
    pub context: &'a minijinja::Value,
    /// When it is sent.
    pub now: DateTime<Utc>,
}

/// One customer's share of a webhook call.
#[derive(Debug, Clone)]
pub struct WebhookItem {
    /// Customer id.
    pub customer: u64,
    /// The template context.
    pub context: minijinja::Value,
}

/// A webhook call for a batch of customers (one, unless the node batches).
#[derive(Debug, Clone)]
pub struct WebhookRequest<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// Run id.
    pub run: u64,
    /// Node id.
    pub node: &'a str,
    /// The node as written.
    pub definition: &'a WebhookNode,
    /// The customers of this call.
    pub items: Vec<WebhookItem>,
    /// When it is called.
    pub now: DateTime<Utc>,
}

/// What became of one customer's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionOutcome {
    /// Done (e-mail accepted by the transport, webhook answered 2xx).
    Done,
    /// Failed for good, with the reason.
    Failed(String),
    /// E-mail only: the receiving server rejected the recipient for good (a hard bounce).
    Bounced(String),
}

/// Performs side effects. Calls are made from the engine's blocking thread.
pub trait Actions: Send + Sync {
    /// Sends one e-mail.
    fn email(&self, request: &EmailRequest<'_>) -> ActionOutcome;
    /// Sends one e-mail and returns, besides the outcome, the `Message-ID` the message carried
    /// when one was assigned (the `campaign` event records it). Captured sends have none.
    fn email_with_id(&self, request: &EmailRequest<'_>) -> (ActionOutcome, Option<String>) {
        (self.email(request), None)
    }
    /// Calls a webhook; one outcome per item, in order.
    fn webhook(&self, request: &WebhookRequest<'_>) -> Vec<ActionOutcome>;
}

/// A captured e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedEmail {
    /// Scenario.
    pub scenario: String,
    /// Run.
    pub run: u64,
    /// Node id.
    pub node: String,
    /// Customer id.
    pub customer: u64,
    /// Recipient.
    pub to: String,
    /// Template.
    pub template: String,
    /// Mailbox provider.
    pub provider: String,
    /// Day of the run.
    pub day: u32,
    /// When.
    pub at: DateTime<Utc>,
}

/// A captured webhook call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedWebhook {
    /// Scenario.
    pub scenario: String,
    /// Run.
    pub run: u64,
    /// Node id.
    pub node: String,
    /// Customers of the call.
    pub customers: Vec<u64>,
    /// When.
    pub at: DateTime<Utc>,
}

/// One line of the capture journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Captured {
    /// An e-mail.
    Email(CapturedEmail),
    /// A webhook call.
    Webhook(CapturedWebhook),
}

/// Records every action instead of performing it: in memory (when asked to keep them) and
/// as JSON lines in a journal file (when given one), written before the engine confirms.
#[derive(Debug, Default)]
pub struct CapturingActions {
    keep: bool,
    kept: Mutex<Vec<Captured>>,
    journal: Option<Mutex<Journal>>,
}

/// The journal file, created with the first captured action.
#[derive(Debug)]
struct Journal {
    path: PathBuf,
    file: Option<File>,
}

fn open_journal(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

impl CapturingActions {
    /// Captures without keeping anything (counts live in the engine's counters).
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps every captured action in memory (tests).
    pub fn keeping() -> Self {
        Self {
            keep: true,
            ..Self::default()
        }
    }

    /// Appends every captured action to a JSON-lines journal. An existing journal is
    /// opened now (a problem shows at once); a new one is created with the first captured
    /// action, so a tick (or `serve`) that captures nothing leaves no empty file.
    pub fn with_journal(path: &Path) -> std::io::Result<Self> {
        let file = if path.exists() {
            Some(open_journal(path)?)
        } else {
            None
        };
        let journal = Journal {
            path: path.to_path_buf(),
            file,
        };
        Ok(Self {
            journal: Some(Mutex::new(journal)),
            ..Self::default()
        })
    }

    /// Everything kept so far.
    pub fn captured(&self) -> Vec<Captured> {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The e-mails kept so far.
    pub fn emails(&self) -> Vec<CapturedEmail> {
        self.captured()
            .into_iter()
            .filter_map(|c| match c {
                Captured::Email(email) => Some(email),
                Captured::Webhook(_) => None,
            })
            .collect()
    }

    /// The webhook calls kept so far.
    pub fn webhooks(&self) -> Vec<CapturedWebhook> {
        self.captured()
            .into_iter()
            .filter_map(|c| match c {
                Captured::Webhook(call) => Some(call),
                Captured::Email(_) => None,
            })
            .collect()
    }

    fn record(&self, captured: Captured) -> ActionOutcome {
        if let Some(journal) = &self.journal {
            let mut line = match serde_json::to_vec(&captured) {
                Ok(line) => line,
                Err(e) => return ActionOutcome::Failed(e.to_string()),
            };
            line.push(b'\n');
            let mut journal = journal.lock().unwrap_or_else(PoisonError::into_inner);
            let written = match &mut journal.file {
                Some(file) => file.write_all(&line),
                None => open_journal(&journal.path).and_then(|mut file| {
                    file.write_all(&line)?;
                    journal.file = Some(file);
                    Ok(())
                }),
            };
            if let Err(e) = written {
                return ActionOutcome::Failed(format!("capture journal: {e}"));
            }
        }
        if self.keep {
            self.kept
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(captured);
        }
        ActionOutcome::Done
    }
}

impl Actions for CapturingActions {
    fn email(&self, request: &EmailRequest<'_>) -> ActionOutcome {
        self.record(Captured::Email(CapturedEmail {
            scenario: request.scenario.to_owned(),
            run: request.run,
            node: request.node.to_owned(),
            customer: request.customer,
            to: request.to.to_owned(),
            template: request.template.to_owned(),
            provider: request.provider.to_owned(),
            day: request.day,
            at: request.now,
        }))
    }

    fn webhook(&self, request: &WebhookRequest<'_>) -> Vec<ActionOutcome> {
        let outcome = self.record(Captured::Webhook(CapturedWebhook {
            scenario: request.scenario.to_owned(),
            run: request.run,
            node: request.node.to_owned(),
            customers: request.items.iter().map(|i| i.customer).collect(),
            at: request.now,
        }));
        vec![outcome; request.items.len()]
    }
}
