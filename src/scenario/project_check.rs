//! Checks of the project file: the same positions and codes as scenarios, plus
//! its segments compiled once for every scenario to use.

use std::path::Path;
use std::sync::Arc;

use super::check::{predicate, templates, Cx, Segments};
use super::compiled::Predicate;
use super::time::{parse_timezone, MAX_DURATION};
use super::{yaml, Code, Diagnostic, Diagnostics, Reporter, SourceFile, Span, YamlPath};
use crate::actions::email::{CaFile, CaFileError};
use crate::project::{Project, ProjectFile, SecretSource, SmtpTls, Transport};

/// A checked project: its compiled segments and the problems of its file.
#[derive(Debug)]
pub struct ProjectContext<'a> {
    /// The project.
    pub project: &'a Project,
    /// Its time zone (UTC when the file's is invalid, which is reported).
    pub tz: chrono_tz::Tz,
    /// Compiled segments (`None`: broken, reported).
    pub segments: Segments,
    /// Problems of the project file.
    pub diagnostics: Diagnostics,
}

/// Checks `project`, re-reading its file for positions.
pub fn check_project(project: &Project) -> ProjectContext<'_> {
    let text = std::fs::read_to_string(&project.path).unwrap_or_default();
    check_project_text(project, &text)
}

/// Checks `project` whose file holds `text`.
pub fn check_project_text<'a>(project: &'a Project, text: &str) -> ProjectContext<'a> {
    let source = SourceFile::new(&project.path, text);
    let document = match yaml::parse(text) {
        Ok(document) => document,
        Err(error) => {
            let mut diagnostics = Diagnostics::new();
            diagnostics.push(syntax(&source, error));
            return ProjectContext {
                project,
                tz: chrono_tz::UTC,
                segments: Segments::new(),
                diagnostics,
            };
        }
    };
    let mut reporter = Reporter::new(Arc::clone(&source), document.index.clone());
    super::read::report_key_problems(&document, &mut reporter);
    let root = YamlPath::root();
    // The loaded model is the reference; deserializing again finds the position of a
    // problem serde_yaml reported without one.
    let _: Option<ProjectFile> = reporter.deserialize(&document.value, &root, None);
    let tz = match parse_timezone(&project.file.timezone) {
        Ok(tz) => tz,
        Err(message) => {
            reporter.value(&root.key("timezone"), Code::InvalidTimezone, None, message);
            chrono_tz::UTC
        }
    };
    let mut segments = Segments::new();
    let placeholders: Segments = project
        .file
        .segments
        .keys()
        .map(|name| (name.clone(), Some(Predicate::All(Vec::new()))))
        .collect();
    {
        let mut cx = Cx {
            reporter: &mut reporter,
            project,
            segments: &placeholders,
            tz,
            params: None,
            plans: None,
            node: None,
        };
        for (name, written) in &project.file.segments {
            let compiled =
                predicate::compile(&mut cx, written, &root.key("segments").key(name.clone()));
            segments.insert(name.clone(), compiled);
        }
        settings(&mut cx, &project.file);
    }
    let segments = super::segments::resolve_segments(&segments, &mut reporter);
    let mut diagnostics = reporter.diagnostics;
    diagnostics.sort();
    ProjectContext {
        project,
        tz,
        segments,
        diagnostics,
    }
}

/// A YAML syntax error as a diagnostic.
pub fn syntax(source: &Arc<SourceFile>, error: yaml::SyntaxError) -> Diagnostic {
    Diagnostic::new(
        source,
        error.span,
        Code::YamlSyntax,
        format!("YAML syntax error: {}", error.message),
    )
    .with_label("here")
}

/// Names the settings refer to: consent categories, durations, templates, secrets.
fn settings(cx: &mut Cx<'_>, file: &ProjectFile) {
    let root = YamlPath::root();
    if let Some(category) = &file.import.consent_category {
        cx.consent_category(&root.key("import").key("consent_category"), category);
    }
    if let Some(email) = &file.email {
        cx.consent_category(
            &root.key("email").key("unsubscribe").key("category"),
            &email.unsubscribe.category,
        );
        secret(
            cx,
            &email.unsubscribe.signing_key,
            &root.key("email").key("unsubscribe").key("signing_key"),
        );
        if let Transport::Smtp {
            ca_file: Some(path),
            ..
        } = &email.transport
        {
            let at = root.key("email").key("transport").key("ca_file");
            ca_file(cx, path, &at);
        }
        clear_text_password(cx, &email.transport, &root.key("email").key("transport"));
        for (name, value) in &email.headers {
            templates::template(
                cx,
                value,
                &root.key("email").key("headers").key(name.clone()),
            );
        }
    }
    for (name, schema) in &file.auth {
        let at = root.key("auth").key(name.clone());
        secret(cx, &schema.secret, &at.key("secret"));
        for (header, value) in &schema.headers {
            auth_header(cx, value, &at.key("headers").key(header.clone()));
        }
    }
    if let Some(klaviyo) = &file.klaviyo {
        let at = root.key("klaviyo");
        secret(cx, &klaviyo.api_key, &at.key("api_key"));
        for (list, category) in &klaviyo.lists {
            cx.consent_category(&at.key("lists").key(list.clone()), category);
        }
        let sync = &klaviyo.sync;
        for (field, value) in [
            ("profiles", &sync.profiles),
            ("events", &sync.events),
            ("reconcile", &sync.reconcile),
        ] {
            if let Some(text) = value {
                cx.duration(&at.key("sync").key(field), text, MAX_DURATION);
            }
        }
    }
}

/// Auth headers see only `secret`.
fn auth_header(cx: &mut Cx<'_>, value: &str, at: &YamlPath) {
    match templates::env().template_from_str(value) {
        Err(error) => cx.error(
            at,
            Code::TemplateSyntax,
            format!(
                "template syntax error: {}",
                error.detail().unwrap_or("invalid syntax")
            ),
        ),
        Ok(template) => {
            for name in template.undeclared_variables(false) {
                if name != "secret" {
                    cx.error_help(
                        at,
                        Code::UndefinedVariable,
                        format!("undefined template variable `{name}`"),
                        Some("auth headers see only `secret`".into()),
                    );
                }
            }
        }
    }
}

/// Reads the SMTP transport's `ca_file` now, so a wrong file stops `validate` and every
/// command that loads the project, not the first send.
fn ca_file(cx: &mut Cx<'_>, path: &Path, at: &YamlPath) {
    if let Err(error) = CaFile::read(&cx.project.root.join(path)) {
        let code = match error {
            CaFileError::Read { .. } => Code::Unreadable,
            _ => Code::InvalidValue,
        };
        cx.error(at, code, format!("`ca_file`: {error}"));
    }
}

/// `tls: none` sends SMTP AUTH's password in clear: refused unless the server is on this
/// machine (a loopback relay), where the password never crosses a network.
fn clear_text_password(cx: &mut Cx<'_>, transport: &Transport, at: &YamlPath) {
    let Transport::Smtp {
        host,
        tls: SmtpTls::None,
        username,
        password,
        ..
    } = transport
    else {
        return;
    };
    if (username.is_none() && password.is_none()) || is_loopback(host) {
        return;
    }
    cx.error_help(
        &at.key("tls"),
        Code::InvalidValue,
        format!("`tls: none` would send the SMTP password in clear to `{host}`"),
        Some("use `tls: starttls` or `tls: implicit`; `none` with credentials is for a relay on this machine (localhost, 127.0.0.1, ::1)".into()),
    );
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn secret(cx: &mut Cx<'_>, source: &SecretSource, at: &YamlPath) {
    if source.env.is_some() == source.file.is_some() {
        cx.error(
            at,
            Code::ExactlyOne,
            "a secret needs exactly one of `env`, `file`",
        );
    }
}

/// A diagnostic for a file that cannot be read.
pub fn unreadable(path: &Path, error: &std::io::Error) -> Diagnostic {
    let source = SourceFile::new(path, "");
    Diagnostic::new(
        &source,
        Span::default(),
        Code::Unreadable,
        format!("cannot read {}: {error}", path.display()),
    )
}

/// Positioned diagnostics for a project file that does not even load.
pub fn project_file_diagnostics(path: &Path, text: &str) -> Diagnostics {
    let source = SourceFile::new(path, text);
    match yaml::parse(text) {
        Err(error) => {
            let mut diagnostics = Diagnostics::new();
            diagnostics.push(syntax(&source, error));
            diagnostics
        }
        Ok(document) => {
            let mut reporter = Reporter::new(source, document.index.clone());
            super::read::report_key_problems(&document, &mut reporter);
            let _: Option<ProjectFile> =
                reporter.deserialize(&document.value, &YamlPath::root(), None);
            reporter.diagnostics
        }
    }
}
