//! The minijinja environment shared by every templated field.
//!
//! Templates see these roots: `customer` (properties plus `id`, `email`,
//! `klaviyo_id`, `mailbox_provider`), `event` (for event-triggered runs),
//! `params`, `plans`, `run` (`id`, `scenario`, `version`, `started_at`), `day`
//! (1 for a `repeat` trigger's first fire) and `now` (RFC 3339); e-mail templates
//! also see `unsubscribe_url`, webhook batch bodies `items`. Undefined
//! values are errors (strict undefined), so a typo fails loudly instead of
//! rendering an empty string.

use minijinja::{Environment, UndefinedBehavior, Value};

/// The variable roots a template may refer to.
pub const ROOTS: &[&str] = &[
    "customer",
    "event",
    "params",
    "plans",
    "run",
    "day",
    "now",
    "items",
    "with",
    "unsubscribe_url",
];

/// A template that failed to compile or render, with the template source for context.
#[derive(Debug, thiserror::Error)]
#[error("template `{source_text}`: {message}")]
pub struct TemplateError {
    /// The template as written.
    pub source_text: String,
    /// minijinja's explanation.
    pub message: String,
}

/// A fresh environment: strict undefined, no auto-escaping (webhook bodies are JSON,
/// e-mail HTML templates escape explicitly with `|e` where needed).
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env
}

/// Renders `source` against `context`.
pub fn render(
    env: &Environment<'_>,
    source: &str,
    context: &Value,
) -> Result<String, TemplateError> {
    env.render_str(source, context)
        .map_err(|error| TemplateError {
            source_text: source.to_owned(),
            message: error_chain(&error),
        })
}

/// Evaluates `expression` (no braces) against `context`.
pub fn evaluate(
    env: &Environment<'_>,
    expression: &str,
    context: &Value,
) -> Result<Value, TemplateError> {
    let fail = |error: minijinja::Error| TemplateError {
        source_text: expression.to_owned(),
        message: error_chain(&error),
    };
    env.compile_expression(expression)
        .map_err(fail)?
        .eval(context)
        .map_err(fail)
}

/// Whether a string holds template syntax at all (plain strings skip rendering).
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

fn error_chain(error: &minijinja::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_variables_are_errors() {
        let env = environment();
        let error = render(
            &env,
            "{{ customer.nope }}",
            &minijinja::context! { customer => Value::from(()) },
        );
        assert!(error.is_err());
    }

    #[test]
    fn renders_and_evaluates() {
        let env = environment();
        let ctx = minijinja::context! { day => 3, params => minijinja::context! { list => "XyZ" } };
        assert_eq!(
            render(&env, "{{ params.list }}-{{ day }}", &ctx).unwrap(),
            "XyZ-3"
        );
        assert_eq!(
            evaluate(&env, "day * 2 > 5", &ctx).unwrap(),
            Value::from(true)
        );
        assert!(!is_template("plain"));
    }
}
