//! E-mail templates: a folder `NAME/` with `subject.txt`, `body.html` and `body.txt`.

use std::path::{Path, PathBuf};

use minijinja::{Environment, Value};

use super::error::EmailError;
use crate::actions::error_chain::error_chain;
use crate::template;

const PARTS: [&str; 3] = ["subject.txt", "body.html", "body.txt"];

/// A template folder with a loader that compiles each file once.
#[derive(Debug)]
pub struct EmailTemplates {
    dir: PathBuf,
    env: Environment<'static>,
}

/// The three rendered parts of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// Subject, on one line.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
}

impl EmailTemplates {
    /// Templates under `dir` (the project's `templates` folder).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let mut env = template::environment();
        env.set_loader(minijinja::path_loader(&dir));
        Self { dir, env }
    }

    /// The folder the templates come from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Renders template folder `name` against `context`.
    pub fn render(&self, name: &str, context: &Value) -> Result<RenderedEmail, EmailError> {
        let plain = !name.is_empty()
            && name != "."
            && name != ".."
            && !name.contains(['/', '\\'])
            && !name.contains("..");
        if !plain {
            return Err(EmailError::TemplateName(name.to_owned()));
        }
        let mut rendered = PARTS
            .iter()
            .map(|part| self.render_part(name, part, context));
        let subject = rendered.next().unwrap_or_else(|| Ok(String::new()))?;
        let html = rendered.next().unwrap_or_else(|| Ok(String::new()))?;
        let text = rendered.next().unwrap_or_else(|| Ok(String::new()))?;
        Ok(RenderedEmail {
            // A subject is one header line: fold the file's lines into one.
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            html,
            text,
        })
    }

    fn render_part(&self, name: &str, part: &str, context: &Value) -> Result<String, EmailError> {
        let file = format!("{name}/{part}");
        let fail = |error: minijinja::Error| EmailError::Template {
            file: self.dir.join(&file),
            message: error_chain(&error),
        };
        let template = self.env.get_template(&file).map_err(fail)?;
        template.render(context).map_err(fail)
    }
}
