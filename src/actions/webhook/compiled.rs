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
}

impl Default for CompiledStrings {
    fn default() -> Self {
        Self {
            env: template::environment(),
            literals: HashMap::new(),
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
        let template = self.env.get_template(name).ok()?;
        Some(template.render(context).map_err(|error| TemplateError {
            source_text: template.source().to_owned(),
            message: error.to_string(),
        }))
    }
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
    }
}
