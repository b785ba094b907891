//! Every e-mail template a scenario uses renders for a sample customer: a customer whose every
//! property is present, so what fails is what would fail for everyone — a misspelt root
//! (`custmer`), an undefined param, a broken filter call. Properties are placeholder text; a
//! template that fails with text is tried again with numbers (arithmetic on a property), and
//! only a template that fails both ways is reported.

use std::collections::BTreeSet;
use std::sync::Arc;

use minijinja::value::{Object, Value};

use super::uses::NodeUse;
use crate::actions::email::EmailTemplates;
use crate::project::Project;
use crate::scenario::{Code, Diagnostic};

/// Days a templated name (`day-{{ day }}`) is tried for.
const DAYS: usize = 366;

/// A customer, event or run with every field: placeholder text named after the field, or the
/// number 1 when `numbers`.
#[derive(Debug)]
struct Sample {
    what: &'static str,
    numbers: bool,
}

impl Object for Sample {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        Some(match (self.what, name) {
            (_, "id") => Value::from(1),
            ("customer", "email") => Value::from("sample.customer@example.com"),
            ("customer", "mailbox_provider") => Value::from("other"),
            _ if self.numbers => Value::from(1),
            _ => Value::from(format!("sample {} {name}", self.what)),
        })
    }
}

fn context(node: &NodeUse, day: Option<usize>) -> Value {
    sample_context(node, day, false)
}

fn sample_context(node: &NodeUse, day: Option<usize>, numbers: bool) -> Value {
    let sample = |what: &'static str| Value::from_object(Sample { what, numbers });
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
            let failed = templates
                .render(&name, &context(node, day))
                .err()
                .filter(|_| {
                    templates
                        .render(&name, &sample_context(node, day, true))
                        .is_err()
                });
            if let Some(error) = failed {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str) -> Result<String, minijinja::Error> {
        let env = crate::template::environment();
        let customer = Sample {
            what: "customer",
            numbers: false,
        };
        let context = minijinja::context! { customer => Value::from_object(customer) };
        env.render_str(source, context)
    }

    #[test]
    fn the_sample_customer_has_every_property() {
        assert_eq!(
            render("{{ customer.first_name }} <{{ customer.email }}>").unwrap(),
            "sample customer first_name <sample.customer@example.com>"
        );
        assert!(render("{% if customer.orders > 3 %}many{% endif %}").is_ok());
        assert!(render("{{ custmer.first_name }}").is_err());
        // Text cannot take part in arithmetic: such a template is tried again with numbers.
        assert!(render("{{ customer.points + 2 }}").is_err());
    }
}
