//! E-mail nodes: the project sends e-mail at all, templated headers, the consent
//! category of the unsubscribe link, and template folders that exist for every
//! day the triggers reaching the node can produce.

use std::path::Path;

use super::days::Days;
use super::{templates, Cx};
use crate::scenario::model::EmailNode;
use crate::scenario::{Code, YamlPath};
use crate::scenario::{Diagnostic, SourceFile, Span};

/// The files every template folder holds.
pub const TEMPLATE_FILES: [&str; 3] = ["subject.txt", "body.html", "body.txt"];

/// Checks the fields of an e-mail node written at `path`; whether they are valid.
pub fn check(cx: &mut Cx<'_>, n: &EmailNode, path: &YamlPath) -> bool {
    let mut ok = true;
    if cx.project.file.email.is_none() {
        let node = cx.node.clone();
        cx.reporter
            .key(
                path,
                Code::NoEmailConfig,
                node.as_deref(),
                "the project has no `email` section, so e-mail cannot be sent",
            )
            .help = Some(format!(
            "add `email:` (transport, from, unsubscribe) to {}",
            cx.project.path.display()
        ));
        ok = false;
    }
    ok &= templates::template(cx, &n.template, &path.key("template"));
    for (field, value) in [("from", &n.from), ("reply_to", &n.reply_to)] {
        if let Some(value) = value {
            ok &= templates::template(cx, value, &path.key(field));
        }
    }
    for (name, value) in &n.headers {
        ok &= templates::template(cx, value, &path.key("headers").key(name.clone()));
    }
    if let Some(category) = &n.category {
        cx.consent_category(&path.key("category"), category);
    }
    if let Some(after) = n.late.as_ref().and_then(|late| late.after.as_deref()) {
        let at = path.key("late").key("after");
        ok &= cx
            .parse(
                &at,
                Code::InvalidDuration,
                after,
                crate::scenario::time::parse_duration,
            )
            .is_some();
    }
    ok
}

/// Checks that the template folder exists for every name the node can render.
pub fn template_exists(cx: &mut Cx<'_>, n: &EmailNode, path: &YamlPath, days: Days) {
    if cx.project.file.email.is_none() {
        return; // already reported: without an `email` section there is no template folder
    }
    let at = path.key("template");
    if !crate::template::is_template(&n.template) {
        folder(cx, &n.template, &at, None);
        return;
    }
    let params = cx.params.cloned().unwrap_or_default();
    let render = |day: Option<usize>| {
        // Without `day` (on_date, on_event) a name using it fails to render (strict
        // undefined) and is skipped.
        let context = match day {
            Some(day) => minijinja::context! { params => params.clone(), day => day },
            None => minijinja::context! { params => params.clone() },
        };
        templates::env().render_str(&n.template, context).ok()
    };
    let days: Vec<Option<usize>> = match days {
        Days::Bounded(last) => (1..=last).map(Some).collect(),
        Days::NoDay => vec![None],
        Days::Unbounded => return,
    };
    for day in days {
        // A name that needs more than `params` and `day` (e.g. `customer`) is only known
        // at send time.
        let Some(name) = render(day) else { return };
        folder(cx, &name, &at, day);
    }
}

fn folder(cx: &mut Cx<'_>, name: &str, at: &YamlPath, day: Option<usize>) {
    let dir = cx.project.templates_dir();
    let for_day = day.map(|d| format!(" (for day {d})")).unwrap_or_default();
    let safe = !name.is_empty()
        && Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !safe {
        cx.error(
            at,
            Code::UnknownEmailTemplate,
            format!("e-mail template name `{name}`{for_day} is not a folder name"),
        );
        return;
    }
    let folder = dir.join(name);
    let missing: Vec<&str> = TEMPLATE_FILES
        .iter()
        .copied()
        .filter(|f| !folder.join(f).is_file())
        .collect();
    if missing.is_empty() {
        return template_files(cx, &folder);
    }
    let message = if folder.is_dir() {
        format!(
            "e-mail template `{name}`{for_day} lacks {}",
            missing.join(", ")
        )
    } else {
        format!(
            "undefined e-mail template `{name}`{for_day}: no folder {}",
            folder.display()
        )
    };
    cx.error_help(
        at,
        Code::UnknownEmailTemplate,
        message,
        Some(format!(
            "a template is a folder under {} with {}",
            dir.display(),
            TEMPLATE_FILES.join(", ")
        )),
    );
}

/// The template files compile; a syntax error points into the file itself.
fn template_files(cx: &mut Cx<'_>, folder: &Path) {
    for file in TEMPLATE_FILES {
        let path = folder.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            cx.error(
                &YamlPath::root(),
                Code::Unreadable,
                format!("cannot read {}", path.display()),
            );
            continue;
        };
        let Err(error) = templates::env().template_from_str(&text) else {
            continue;
        };
        let source = SourceFile::new(&path, text);
        let span = match (error.range(), error.line()) {
            (Some(range), _) => Span {
                offset: range.start,
                len: range.len(),
            },
            (None, Some(line)) => Span {
                offset: source.line_start(line),
                len: 0,
            },
            (None, None) => Span::default(),
        };
        let detail = error.detail().unwrap_or("invalid syntax");
        let message = format!("template syntax error: {detail}");
        let diagnostic = Diagnostic::new(&source, span, Code::TemplateSyntax, message)
            .with_node(cx.node.as_deref());
        cx.reporter.diagnostics.push(diagnostic);
    }
}
