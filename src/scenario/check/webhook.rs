//! Webhooks: preset or URL, known auth schema, preset parameters and batch sizes,
//! durations of timeouts and retries, and every templated string.

use super::nodes::exactly_one;
use super::{templates, Cx};
use crate::scenario::model::WebhookNode;
use crate::scenario::time::MAX_DURATION;
use crate::scenario::{Code, YamlPath};

/// Checks a webhook written at `path`; whether it is valid.
pub fn check(cx: &mut Cx<'_>, n: &WebhookNode, path: &YamlPath) -> bool {
    let mut ok = exactly_one(
        cx,
        path,
        "a webhook",
        &[("preset", n.preset.is_some()), ("url", n.url.is_some())],
    );
    ok &= auth(cx, n, path);
    ok &= preset(cx, n, path);
    if let Some(url) = &n.url {
        ok &= templates::template(cx, url, &path.key("url"));
    }
    for (name, value) in &n.headers {
        ok &= templates::template(cx, value, &path.key("headers").key(name.clone()));
    }
    if let Some(body) = &n.body {
        ok &= templates::json(cx, body, &path.key("body"));
    }
    if let Some(batch) = &n.batch {
        if batch.size == 0 {
            cx.error(
                &path.key("batch").key("size"),
                Code::InvalidValue,
                "a batch carries at least 1 customer",
            );
            ok = false;
        }
        if let Some(item) = &batch.item {
            ok &= templates::json(cx, item, &path.key("batch").key("item"));
        }
    }
    ok &= durations(cx, n, path);
    ok
}

fn auth(cx: &mut Cx<'_>, n: &WebhookNode, path: &YamlPath) -> bool {
    match &n.auth {
        Some(name) if !cx.project.file.auth.contains_key(name) => {
            let known: Vec<String> = cx.project.file.auth.keys().cloned().collect();
            cx.unknown_name(
                &path.key("auth"),
                Code::UnknownAuth,
                "auth schema",
                name,
                &known,
            );
            false
        }
        None if n.preset.is_some() => {
            let node = cx.node.clone();
            cx.reporter
                .key(
                    path,
                    Code::MissingField,
                    node.as_deref(),
                    "missing field `auth`",
                )
                .help = Some(
                "a preset calls Klaviyo: name the project's auth schema that holds the API key"
                    .into(),
            );
            false
        }
        _ => true,
    }
}

fn preset(cx: &mut Cx<'_>, n: &WebhookNode, path: &YamlPath) -> bool {
    let mut ok = true;
    for (name, value) in &n.with {
        ok &= templates::template(cx, value, &path.key("with").key(name.clone()));
    }
    let Some(preset) = n.preset else {
        return ok;
    };
    for required in preset.required_params() {
        if !n.with.contains_key(*required) {
            let at = if n.with.is_empty() {
                path.clone()
            } else {
                path.key("with")
            };
            let node = cx.node.clone();
            cx.reporter.key(
                &at,
                Code::PresetParamMissing,
                node.as_deref(),
                format!(
                    "preset `{}` needs `with: {{ {required}: … }}`",
                    preset.name()
                ),
            );
            ok = false;
        }
    }
    let allowed: Vec<String> = preset
        .allowed_params()
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
    for name in n.with.keys() {
        if !allowed.contains(name) {
            let at = path.key("with").key(name.clone());
            let help = crate::scenario::reporter::suggest(name, &allowed).unwrap_or_else(|| {
                format!(
                    "preset `{}` accepts {}",
                    preset.name(),
                    crate::scenario::reporter::quote_all(&allowed)
                )
            });
            let node = cx.node.clone();
            cx.reporter
                .key(
                    &at,
                    Code::PresetParamUnknown,
                    node.as_deref(),
                    format!("preset `{}` has no parameter `{name}`", preset.name()),
                )
                .help = Some(help);
            ok = false;
        }
    }
    if let Some(batch) = &n.batch {
        if batch.size > preset.max_batch() {
            cx.error_help(
                &path.key("batch").key("size"),
                Code::BatchTooLarge,
                format!(
                    "batch size {} is above the maximum of preset `{}`, {}",
                    batch.size,
                    preset.name(),
                    preset.max_batch()
                ),
                Some(format!("use `size: {}`", preset.max_batch())),
            );
            ok = false;
        }
    }
    ok
}

fn durations(cx: &mut Cx<'_>, n: &WebhookNode, path: &YamlPath) -> bool {
    let mut fields = vec![(path.key("timeout"), n.timeout.as_ref())];
    if let Some(retry) = &n.retry {
        let retry_path = path.key("retry");
        fields.push((
            retry_path.key("initial_backoff"),
            retry.initial_backoff.as_ref(),
        ));
        fields.push((retry_path.key("max_backoff"), retry.max_backoff.as_ref()));
        fields.push((retry_path.key("max_elapsed"), retry.max_elapsed.as_ref()));
        if retry.max_attempts == Some(0) {
            cx.error(
                &retry_path.key("max_attempts"),
                Code::InvalidValue,
                "`max_attempts` counts the first attempt: at least 1",
            );
            return false;
        }
    }
    let mut ok = true;
    for (at, text) in fields {
        if let Some(text) = text {
            ok &= cx.duration(&at, text, MAX_DURATION).is_some();
        }
    }
    ok
}
