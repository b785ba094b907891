//! Bodies written as YAML values whose strings are templates, rendered to JSON.
//!
//! A string that is one whole expression (`"{{ items }}"`, `"{{ day }}"`) becomes that
//! value with its JSON type (a list, a number); any other string renders to a string.

use minijinja::{Environment, Value};

use crate::template::{self, TemplateError};

/// Renders every string of `body` against `context`.
pub fn render_json(
    env: &Environment<'_>,
    body: &serde_json::Value,
    context: &Value,
) -> Result<serde_json::Value, TemplateError> {
    Ok(match body {
        serde_json::Value::String(source) => render_string(env, source, context)?,
        serde_json::Value::Array(values) => serde_json::Value::Array(
            values
                .iter()
                .map(|value| render_json(env, value, context))
                .collect::<Result<_, _>>()?,
        ),
        serde_json::Value::Object(map) => {
            let mut rendered = serde_json::Map::with_capacity(map.len());
            for (key, value) in map {
                let key = if template::is_template(key) {
                    template::render(env, key, context)?
                } else {
                    key.clone()
                };
                rendered.insert(key, render_json(env, value, context)?);
            }
            serde_json::Value::Object(rendered)
        }
        other => other.clone(),
    })
}

fn render_string(
    env: &Environment<'_>,
    source: &str,
    context: &Value,
) -> Result<serde_json::Value, TemplateError> {
    if let Some(expression) = whole_expression(source) {
        let value = template::evaluate(env, expression, context)?;
        // Evaluating does not trip strict undefined the way printing does: check here.
        if value.is_undefined() {
            return Err(TemplateError {
                source_text: source.to_owned(),
                message: format!("undefined value: `{expression}`"),
            });
        }
        return serde_json::to_value(&value).map_err(|error| TemplateError {
            source_text: source.to_owned(),
            message: error.to_string(),
        });
    }
    if !template::is_template(source) {
        return Ok(serde_json::Value::String(source.to_owned()));
    }
    template::render(env, source, context).map(serde_json::Value::String)
}

/// The expression of a string that is exactly `{{ expression }}`.
fn whole_expression(source: &str) -> Option<&str> {
    let inner = source.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.trim_start_matches('-').trim_end_matches('-');
    let nested = inner.contains("{{") || inner.contains("}}") || inner.contains("{%");
    (!nested).then_some(inner.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_expressions_keep_their_type() {
        let env = template::environment();
        let context = minijinja::context! {
            day => 3,
            items => vec![json!({"id": "a"}), json!({"id": "b"})],
            customer => minijinja::context! { email => "a@example.com" },
        };
        let body = json!({
            "day": "{{ day }}",
            "label": "day {{ day }}",
            "data": "{{ items }}",
            "to": ["{{ customer.email }}", 7, null],
        });
        let rendered = render_json(&env, &body, &context).unwrap();
        assert_eq!(
            rendered,
            json!({
                "day": 3,
                "label": "day 3",
                "data": [{"id": "a"}, {"id": "b"}],
                "to": ["a@example.com", 7, null],
            })
        );
        let error = render_json(&env, &json!({"x": "{{ customer.nope }}"}), &context);
        assert!(error.unwrap_err().to_string().contains("customer.nope"));
    }
}
