//! Templates compiled once per node, rendered once per customer; plain strings skip
//! minijinja entirely.

use std::collections::HashMap;

use minijinja::{Environment, Value};

use crate::template::{self, TemplateError};

/// Named string templates of one node.
#[derive(Debug)]
pub struct CompiledStrings {
    env: Environment<'static>,
    literals: HashMap<String, String>,
    paths: HashMap<String, (String, Vec<String>)>,
}

impl Default for CompiledStrings {
    fn default() -> Self {
        Self {
            env: template::environment(),
            literals: HashMap::new(),
            paths: HashMap::new(),
        }
    }
}

impl CompiledStrings {
    /// Compiles `source` under `name` (e.g. `with.list_id`); syntax errors surface here.
    pub fn add(&mut self, name: &str, source: &str) -> Result<(), TemplateError> {
        if !template::is_template(source) {
            self.literals.insert(name.to_owned(), source.to_owned());
            return Ok(());
        }
        if let Some(path) = variable_path(source) {
            self.paths
                .insert(name.to_owned(), (source.to_owned(), path));
            return Ok(());
        }
        self.env
            .add_template_owned(name.to_owned(), source.to_owned())
            .map_err(|error| TemplateError {
                source_text: source.to_owned(),
                message: error.to_string(),
            })
    }

    /// Renders `name` against `context`; `None` if no such template was added.
    pub fn render(&self, name: &str, context: &Value) -> Option<Result<String, TemplateError>> {
        if let Some(literal) = self.literals.get(name) {
            return Some(Ok(literal.clone()));
        }
        if let Some((source, path)) = self.paths.get(name) {
            return Some(lookup(source, path, context));
        }
        let template = self.env.get_template(name).ok()?;
        Some(template.render(context).map_err(|error| TemplateError {
            source_text: template.source().to_owned(),
            message: error.to_string(),
        }))
    }
}

/// `{{ a.b.c }}` as `["a", "b", "c"]`: the commonest template (`{{ customer.klaviyo_id }}`)
/// is a lookup, done without the template engine.
fn variable_path(source: &str) -> Option<Vec<String>> {
    let inner = source.strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let path: Vec<String> = inner.split('.').map(str::to_owned).collect();
    let identifier = |part: &String| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    path.iter().all(identifier).then_some(path)
}

/// Follows `path` in `context`, as strict undefined rendering would.
fn lookup(source: &str, path: &[String], context: &Value) -> Result<String, TemplateError> {
    let mut value = context.clone();
    for part in path {
        value = value.get_attr(part).unwrap_or_default();
        if value.is_undefined() {
            return Err(TemplateError {
                source_text: source.to_owned(),
                message: format!("undefined value: `{part}` is not defined"),
            });
        }
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_once_and_renders_strictly() {
        let mut strings = CompiledStrings::default();
        strings.add("with.list_id", "Y6nRLr").unwrap();
        strings
            .add("with.profile_id", "{{ customer.klaviyo_id }}")
            .unwrap();
        assert!(strings.add("with.bad", "{{ customer.").is_err());
        let context =
            minijinja::context! { customer => minijinja::context! { klaviyo_id => "01X" } };
        assert_eq!(
            strings.render("with.list_id", &context).unwrap().unwrap(),
            "Y6nRLr"
        );
        assert_eq!(
            strings
                .render("with.profile_id", &context)
                .unwrap()
                .unwrap(),
            "01X"
        );
        assert!(strings.render("with.other", &context).is_none());
        let empty = minijinja::context! { customer => minijinja::context! {} };
        let error = strings
            .render("with.profile_id", &empty)
            .unwrap()
            .unwrap_err();
        assert_eq!(error.source_text, "{{ customer.klaviyo_id }}");
        assert_eq!(
            error.message,
            "undefined value: `klaviyo_id` is not defined"
        );
        strings.add("day", "{{day}}").unwrap();
        strings.add("mixed", "{{ customer.klaviyo_id }}-x").unwrap();
        let context = minijinja::context! { day => 3, customer => minijinja::context! { klaviyo_id => "01X" } };
        assert_eq!(strings.render("day", &context).unwrap().unwrap(), "3");
        assert_eq!(strings.render("mixed", &context).unwrap().unwrap(), "01X-x");
        assert_eq!(
            variable_path("{{ a.b_2 }}"),
            Some(vec!["a".into(), "b_2".into()])
        );
        assert_eq!(variable_path("{{ a | upper }}"), None);
        assert_eq!(variable_path("{{ a.2 }}"), None);
    }
}
