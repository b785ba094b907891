//! The small HTML pages of the unsubscribe flow, rendered with minijinja (HTML auto-escaping
//! on, so nothing from a token or the project can inject markup).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::{context, AutoEscape, Environment};

const LAYOUT: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; }
button { font-size: 1rem; padding: .6rem 1.2rem; cursor: pointer; }
.note { color: #666; font-size: .9rem; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
{% block content %}{% endblock %}
</body>
</html>
"#;

const CONFIRM: &str = r#"{% extends "layout.html" %}{% block content %}
<p>Do you want to stop receiving <strong>{{ category }}</strong> e-mails{% if description %} ({{ description }}){% endif %}?</p>
<form method="post" action="">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>
<p class="note">Nothing changes until you press the button.</p>
{% endblock %}"#;

const ALREADY: &str = r#"{% extends "layout.html" %}{% block content %}
<p>You are already unsubscribed from <strong>{{ category }}</strong> e-mails. There is nothing more to do.</p>
{% endblock %}"#;

const DONE: &str = r#"{% extends "layout.html" %}{% block content %}
<p>You will no longer receive <strong>{{ category }}</strong> e-mails.</p>
<p class="note">It can take a moment until every system has caught up; no further messages of this kind will be sent.</p>
{% endblock %}"#;

const FAILED: &str = r#"{% extends "layout.html" %}{% block content %}
<p>We could not complete your request because of a problem on our side.</p>
<p class="note">Please try again in a few minutes; the link stays valid.</p>
{% endblock %}"#;

const REFUSED: &str = r#"{% extends "layout.html" %}{% block content %}
<p>{{ reason }}</p>
<p class="note">Nothing was changed. If you want to unsubscribe, use the link in the most recent e-mail you received from us.</p>
{% endblock %}"#;

/// One page of the unsubscribe flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// GET with a valid token: asks for confirmation with a form that POSTs back.
    Confirm {
        /// Consent category to reject.
        category: String,
        /// The category's description from the project, if any.
        description: Option<String>,
    },
    /// The customer had already rejected this category.
    Already {
        /// Consent category.
        category: String,
    },
    /// POST succeeded: the reject is recorded.
    Done {
        /// Consent category.
        category: String,
    },
    /// The server failed (500): a generic message only, since the cause (a store error)
    /// means nothing to the reader and must not be shown to strangers.
    Failed,
    /// The link was refused; `status` is 400, 403 or 404.
    Refused {
        /// HTTP status of the answer.
        status: StatusCode,
        /// What is wrong, in the reader's words.
        reason: String,
    },
}

impl Page {
    /// The page as HTML.
    pub fn html(&self) -> String {
        let (name, ctx) = match self {
            Self::Confirm {
                category,
                description,
            } => (
                "confirm.html",
                context! { title => "Unsubscribe", category, description },
            ),
            Self::Already { category } => (
                "already.html",
                context! { title => "Already unsubscribed", category },
            ),
            Self::Done { category } => (
                "done.html",
                context! { title => "You are unsubscribed", category },
            ),
            Self::Failed => ("failed.html", context! { title => "Something went wrong" }),
            Self::Refused { reason, .. } => (
                "refused.html",
                context! { title => "This unsubscribe link is not valid", reason },
            ),
        };
        environment()
            .get_template(name)
            .and_then(|template| template.render(ctx))
            // The templates are constants covered by tests; a failure here is a bug, and a
            // plain page is still better than no answer.
            .unwrap_or_else(|error| format!("<!doctype html><p>{error}</p>"))
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Refused { status, .. } => *status,
            Self::Failed => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::OK,
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (
            self.status(),
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            self.html(),
        )
            .into_response();
        let headers = response.headers_mut();
        // The URL carries the token: keep it out of caches, referrers and search engines.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
        response
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    for (name, source) in [
        ("layout.html", LAYOUT),
        ("confirm.html", CONFIRM),
        ("already.html", ALREADY),
        ("done.html", DONE),
        ("refused.html", REFUSED),
        ("failed.html", FAILED),
    ] {
        // Constant templates; `add_template` only fails on syntax errors, which tests catch.
        let _ = env.add_template(name, source);
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_renders_and_escapes_its_input() {
        let confirm = Page::Confirm {
            category: "<script>x</script>".into(),
            description: Some("News & offers".into()),
        }
        .html();
        assert!(confirm.contains("&lt;script&gt;x"), "{confirm}");
        assert!(!confirm.contains("<script>"), "{confirm}");
        assert!(confirm.contains("News &amp; offers"));
        assert!(confirm.contains(r#"<form method="post""#));
        for page in [
            Page::Already {
                category: "newsletter".into(),
            },
            Page::Done {
                category: "newsletter".into(),
            },
            Page::Refused {
                status: StatusCode::FORBIDDEN,
                reason: "forged".into(),
            },
            Page::Failed,
        ] {
            let html = page.html();
            assert!(html.starts_with("<!doctype html>"), "{html}");
            assert!(!html.contains("<form"), "{html}");
        }
    }
}
