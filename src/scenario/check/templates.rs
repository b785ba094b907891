//! Templated fields: minijinja syntax, variable roots (`crate::template::ROOTS`),
//! and the params and plans a template names.

use std::sync::OnceLock;

use minijinja::Environment;

use super::Cx;
use crate::scenario::reporter::{quote_all, suggest};
use crate::scenario::{Code, YamlPath};
use crate::template::ROOTS;

/// The shared environment, built once.
pub fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(crate::template::environment)
}

/// Checks a template string written at `path`; whether it is valid.
pub fn template(cx: &mut Cx<'_>, text: &str, path: &YamlPath) -> bool {
    if !crate::template::is_template(text) {
        return true;
    }
    match env().template_from_str(text) {
        Ok(compiled) => variables(cx, compiled.undeclared_variables(true), path),
        Err(error) => {
            syntax_error(cx, path, &error);
            false
        }
    }
}

/// Checks an expression (no braces) written at `path`; whether it is valid.
pub fn expression(cx: &mut Cx<'_>, text: &str, path: &YamlPath) -> bool {
    match env().compile_expression(text) {
        Ok(compiled) => variables(cx, compiled.undeclared_variables(true), path),
        Err(error) => {
            syntax_error(cx, path, &error);
            false
        }
    }
}

/// Checks every string inside a JSON value (bodies, property values).
pub fn json(cx: &mut Cx<'_>, value: &serde_json::Value, path: &YamlPath) -> bool {
    match value {
        serde_json::Value::String(text) => template(cx, text, path),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .fold(true, |ok, (i, item)| json(cx, item, &path.index(i)) && ok),
        serde_json::Value::Object(map) => map.iter().fold(true, |ok, (key, item)| {
            json(cx, item, &path.key(key.clone())) && ok
        }),
        _ => true,
    }
}

fn syntax_error(cx: &mut Cx<'_>, path: &YamlPath, error: &minijinja::Error) {
    let detail = error.detail().unwrap_or("invalid syntax");
    cx.error(
        path,
        Code::TemplateSyntax,
        format!("template syntax error: {detail}"),
    );
}

fn variables(cx: &mut Cx<'_>, names: std::collections::HashSet<String>, path: &YamlPath) -> bool {
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort();
    let roots: Vec<String> = ROOTS.iter().map(|r| (*r).to_owned()).collect();
    let mut ok = true;
    for name in names {
        let mut parts = name.split('.');
        let root = parts.next().unwrap_or_default();
        let member = parts.next();
        if !ROOTS.contains(&root) {
            let help = suggest(root, &roots)
                .unwrap_or_else(|| format!("templates see {}", quote_all(&roots)));
            cx.error_help(
                path,
                Code::UndefinedVariable,
                format!("undefined template variable `{root}`"),
                Some(help),
            );
            ok = false;
        } else if let (Some(params), "params", Some(param)) = (cx.params, root, member) {
            if !params.contains_key(param) {
                let known: Vec<String> = params.keys().cloned().collect();
                cx.unknown_name(path, Code::UnknownParam, "param", param, &known);
                ok = false;
            }
        } else if let ("plans", Some(plan)) = (root, member) {
            let plans = cx.plans.filter(|plans| !plans.contains_key(plan));
            if let Some(plans) = plans {
                let known: Vec<String> = plans.keys().cloned().collect();
                cx.unknown_name(path, Code::UnknownPlan, "plan", plan, &known);
                ok = false;
            }
        }
    }
    ok
}
