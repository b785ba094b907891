//! Every e-mail template a scenario uses renders for a sample customer: a customer whose every
//! property is present (as placeholder text), so what fails is what would fail for everyone —
//! a misspelt root (`custmer`), an undefined param, a broken filter call.

use std::collections::BTreeSet;
use std::sync::Arc;

use minijinja::value::{Object, Value};

use super::uses::NodeUse;
use crate::actions::email::EmailTemplates;
use crate::project::Project;
use crate::scenario::{Code, Diagnostic};

/// Days a templated name (`day-{{ day }}`) is tried for.
const DAYS: usize = 366;

/// A customer, event or run with every field: placeholder text named after the field.
#[derive(Debug)]
struct Sample(&'static str);

impl Object for Sample {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        Some(match (self.0, name) {
            (_, "id") => Value::from(1),
            ("customer", "email") => Value::from("sample.customer@example.com"),
            ("customer", "mailbox_provider") => Value::from("other"),
            _ => Value::from(format!("sample {} {name}", self.0)),
        })
    }
}

fn context(node: &NodeUse, day: Option<usize>) -> Value {
    let sample = |what: &'static str| Value::from_object(Sample(what));
    let params = Value::from_serialize(&node.file.params);
    let plans = Value::from_serialize(&node.file.plans);
    let now = chrono::Utc::now().to_rfc3339();
    let url = "https://unsubscribe.example/unsubscribe/v1.sample.sample";
    match day {
        Some(day) => minijinja::context! {
            customer => sample("customer"), event => sample("event"), run => sample("run"),
            params => params, plans => plans, day => day, now => now, unsubscribe_url => url,
        },
        None => minijinja::context! {
            customer => sample("customer"), event => sample("event"), run => sample("run"),
            params => params, plans => plans, day => 1, now => now, unsubscribe_url => url,
        },
    }
}

/// The template folders a node's `template` can name that exist, with the day they are for.
fn names(node: &NodeUse, source: &str, templates: &EmailTemplates) -> Vec<(String, Option<usize>)> {
    if !crate::template::is_template(source) {
        return vec![(source.to_owned(), None)];
    }
    let env = crate::template::environment();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for day in 1..=DAYS {
        let Ok(name) = env.render_str(source, context(node, Some(day))) else {
            continue;
        };
        if templates.dir().join(&name).is_dir() && seen.insert(name.clone()) {
            out.push((name, Some(day)));
        }
    }
    out
}

/// Renders every template of every e-mail node; one diagnostic per failing node and name.
pub fn check(project: &Project, nodes: &[NodeUse], out: &mut Vec<Diagnostic>) {
    let Some(_) = &project.file.email else {
        return; // W0037 already
    };
    let templates = EmailTemplates::new(project.templates_dir());
    for node in nodes.iter().filter(|n| n.text("kind") == Some("email")) {
        let Some(source) = node.text("template") else {
            continue;
        };
        for (name, day) in names(node, source, &templates) {
            if !templates.dir().join(&name).is_dir() {
                continue; // W0016 already
            }
            if let Err(error) = templates.render(&name, &context(node, day)) {
                let for_day = day.map(|d| format!(" (day {d})")).unwrap_or_default();
                let diagnostic = Diagnostic::new(
                    &node.file.source,
                    node.span("template"),
                    Code::TemplateFails,
                    format!(
                        "e-mail template `{name}`{for_day} fails for a sample customer: {error}"
                    ),
                )
                .with_node(Some(&node.node))
                .with_help(
                    "the sample customer has every property, so this fails for every customer",
                );
                out.push(diagnostic);
            }
        }
    }
}
