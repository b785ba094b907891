//! `warmup uncertain list|dismiss|resend`: the e-mails a crash left uncertain (they may or
//! may not have reached the SMTP server), for an operator to settle deliberately. The engine
//! never resends them by itself; `resend` sends each selected one once more, `dismiss`
//! closes them without sending.

use super::output;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use chrono::Utc;

use super::InvalidInput;
use crate::engine::{ActionOutcome, Engine, UncertainEmail};

/// List, dismiss or resend uncertain e-mails.
#[derive(Debug, clap::Args)]
pub struct UncertainArgs {
    #[command(subcommand)]
    what: UncertainWhat,
}

#[derive(Debug, clap::Subcommand)]
enum UncertainWhat {
    /// List the uncertain e-mails: run, scenario, node, customer, recipient.
    List {
        /// One JSON array of objects instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Close uncertain e-mails without sending them: no longer listed, never sent.
    Dismiss(Selection),
    /// Send uncertain e-mails once more (the recipient may get the message twice).
    Resend {
        #[command(flatten)]
        selection: Selection,
        /// Record the e-mails in the capture journal instead of sending them.
        #[arg(long)]
        capture: bool,
    },
}

/// Which uncertain e-mails: `--all`, or those of a run (of one customer).
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["all", "run"])))]
struct Selection {
    /// Every uncertain e-mail.
    #[arg(long, conflicts_with_all = ["run", "customer", "node"])]
    all: bool,
    /// The run's uncertain e-mails.
    run: Option<u64>,
    /// Only this customer's: an e-mail address, a Klaviyo id, a cookie or an id (`42`, `#42`).
    customer: Option<String>,
    /// Only those of this e-mail node (by id).
    #[arg(long)]
    node: Option<String>,
}

/// Runs `warmup uncertain …`.
pub fn run(project: Option<&Path>, args: UncertainArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let capture = match &args.what {
        UncertainWhat::Resend { capture, .. } => *capture,
        UncertainWhat::List { .. } | UncertainWhat::Dismiss(_) => true,
    };
    let (_, store, engine) = super::tick::open_engine_sharing(project, capture, runtime.handle())?;
    let emails = engine
        .uncertain_emails()
        .context("cannot read the e-mail ledger")?;
    let address = |customer: u64| -> Option<String> {
        let found = store.customer(crate::store::CustomerId(customer)).ok()??;
        found.email_id
    };
    match args.what {
        UncertainWhat::List { json } => {
            output::out!("{}", list(&emails, json, &address)?);
            Ok(())
        }
        UncertainWhat::Dismiss(selection) => {
            let chosen = select(&emails, &selection, &store)?;
            engine
                .dismiss_emails(&chosen)
                .context("cannot write the e-mail ledger")?;
            output::outln!("dismissed {} uncertain e-mail(s)", chosen.len());
            Ok(())
        }
        UncertainWhat::Resend { selection, .. } => {
            let chosen = select(&emails, &selection, &store)?;
            resend(&engine, &chosen, &address)
        }
    }
}

/// The text or JSON of `list`.
fn list(
    emails: &[UncertainEmail],
    json: bool,
    address: &dyn Fn(u64) -> Option<String>,
) -> anyhow::Result<String> {
    if json {
        let rows: Vec<serde_json::Value> = emails
            .iter()
            .map(|email| {
                let mut row = serde_json::to_value(email).unwrap_or_default();
                row["email"] = address(email.customer).into();
                row
            })
            .collect();
        return Ok(serde_json::to_string_pretty(&rows)? + "\n");
    }
    let mut out = format!(
        "{} uncertain e-mail(s): a crash interrupted their sending; not resent\n",
        emails.len()
    );
    for email in emails {
        let _ = writeln!(
            out,
            "  run {} {} node {} customer {} {} ({})",
            email.run,
            email.scenario,
            email.node,
            email.customer,
            address(email.customer).unwrap_or_else(|| "(no e-mail address)".into()),
            email.state,
        );
    }
    Ok(out)
}

/// The uncertain e-mails a selection names; naming none is an error (unless `--all`).
fn select(
    emails: &[UncertainEmail],
    selection: &Selection,
    store: &crate::store::Store,
) -> anyhow::Result<Vec<UncertainEmail>> {
    if selection.all {
        return Ok(emails.to_vec());
    }
    let customer = match &selection.customer {
        Some(id) => Some(
            store
                .find_by_any(id)?
                .ok_or_else(|| InvalidInput::new(format!("no customer with identifier `{id}`")))?
                .id
                .0,
        ),
        None => None,
    };
    let chosen: Vec<UncertainEmail> = emails
        .iter()
        .filter(|e| selection.run.is_none_or(|run| e.run == run))
        .filter(|e| customer.is_none_or(|id| e.customer == id))
        .filter(|e| selection.node.as_deref().is_none_or(|node| e.node == node))
        .cloned()
        .collect();
    if chosen.is_empty() {
        let mut what = format!("run {}", selection.run.unwrap_or_default());
        if let Some(id) = &selection.customer {
            let _ = write!(what, " customer `{id}`");
        }
        if let Some(node) = &selection.node {
            let _ = write!(what, " node `{node}`");
        }
        return Err(InvalidInput::new(format!("no uncertain e-mail of {what}")).into());
    }
    Ok(chosen)
}

/// Resends each chosen e-mail once; fails (exit 1) when any of them failed.
fn resend(
    engine: &Engine,
    chosen: &[UncertainEmail],
    address: &dyn Fn(u64) -> Option<String>,
) -> anyhow::Result<()> {
    let mut failed = 0;
    for email in chosen {
        let to = address(email.customer).unwrap_or_else(|| "(no e-mail address)".into());
        // One e-mail that cannot be resent (its customer is gone, say) does not stop the rest.
        let result = match engine.resend_email(email, Utc::now()) {
            Ok(ActionOutcome::Done) => "sent".to_owned(),
            Ok(ActionOutcome::Failed(reason)) => format!("failed: {reason}"),
            Ok(ActionOutcome::Bounced(reason)) => format!("bounced: {reason}"),
            Err(error) => format!("not resent: {error}"),
        };
        if !matches!(result.as_str(), "sent") {
            failed += 1;
        }
        output::outln!(
            "run {} node {} customer {} {to}: {result}",
            email.run,
            email.node,
            email.customer
        );
    }
    output::outln!(
        "resent {} uncertain e-mail(s), {failed} failed",
        chosen.len()
    );
    if failed > 0 {
        anyhow::bail!("{failed} of {} resent e-mail(s) failed", chosen.len());
    }
    Ok(())
}
