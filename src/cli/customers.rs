//! `warmup customers show ID` and `warmup customers count`.

use super::output;
use std::path::Path;

use anyhow::Context;

use super::InvalidInput;
use crate::project::Project;
use crate::store::{ConsentAction, Customer, Store};

/// Look at customers in the store.
#[derive(Debug, clap::Args)]
pub struct CustomersArgs {
    #[command(subcommand)]
    pub what: CustomersWhat,
}

/// What to show.
#[derive(Debug, clap::Subcommand)]
pub enum CustomersWhat {
    /// A customer's identifiers, properties, consents and recent events.
    Show {
        /// Any identifier: email, Klaviyo id, cookie, or internal id (`#42`).
        id: String,
        /// How many recent events to list.
        #[arg(long, default_value_t = 10)]
        events: usize,
    },
    /// The number of customers.
    Count,
}

/// Loads the project and opens its store; a missing or malformed project file is invalid
/// input (exit 2), a store held by another process a runtime failure (exit 1).
pub(crate) fn open_project_store(project: Option<&Path>) -> anyhow::Result<(Project, Store)> {
    let project = Project::load(project).map_err(|e| InvalidInput::new(e.to_string()))?;
    let dir = project.store_dir();
    let store =
        Store::open(&dir).with_context(|| format!("cannot open the store `{}`", dir.display()))?;
    Ok((project, store))
}

/// Runs `warmup customers …`.
pub fn run(project: Option<&Path>, args: CustomersArgs) -> anyhow::Result<()> {
    let (_, store) = open_project_store(project)?;
    match args.what {
        CustomersWhat::Count => output::outln!("{}", store.try_count()?),
        CustomersWhat::Show { id, events } => {
            let customer = store
                .find_by_any(&id)?
                .ok_or_else(|| InvalidInput::new(format!("no customer with identifier `{id}`")))?;
            output::out!("{}", render(&store, &customer, events)?);
        }
    }
    Ok(())
}

/// The text of `customers show`.
fn render(store: &Store, customer: &Customer, recent: usize) -> anyhow::Result<String> {
    let mut out = format!("customer #{}\n", customer.id);
    let none = || "-".to_owned();
    out += &format!(
        "  email_id:   {}\n",
        customer.email_id.clone().unwrap_or_else(none)
    );
    out += &format!(
        "  klaviyo_id: {}\n",
        customer.klaviyo_id.clone().unwrap_or_else(none)
    );
    if !customer.cookies.is_empty() {
        out += &format!("  cookies:    {}\n", customer.cookies.join(", "));
    }
    out += &format!("  created:    {}\n", customer.created.to_rfc3339());
    out += &format!("  updated:    {}\n", customer.updated.to_rfc3339());
    out += "properties:\n";
    let mut names: Vec<&String> = customer.properties.keys().collect();
    names.sort();
    for name in names {
        out += &format!("  {name}: {}\n", customer.properties[name.as_str()]);
    }
    out += "consents:\n";
    for (category, state) in store.consents(customer.id)? {
        let action = match state.action {
            ConsentAction::Accept => "accepted",
            ConsentAction::Reject => "rejected",
        };
        out += &format!("  {category}: {action} at {}", state.at.to_rfc3339());
        if let Some(until) = state.valid_until {
            out += &format!(", valid until {}", until.to_rfc3339());
        }
        out += "\n";
    }
    out += "recent events:\n";
    for event in store.customer_events(customer.id).rev().take(recent) {
        let event = event?;
        out += &format!(
            "  {} {} {}\n",
            event.timestamp.to_rfc3339(),
            event.event_type,
            serde_json::Value::Object(event.properties)
        );
    }
    Ok(out)
}
