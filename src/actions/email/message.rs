//! Building one message: addresses, subject, text and HTML alternatives, `Message-ID`
//! and the RFC 8058 one-click unsubscribe headers.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use super::error::EmailError;
use super::templates::RenderedEmail;

/// Everything a message is made of, already rendered.
#[derive(Debug, Clone)]
pub struct MessageParts {
    /// Sender.
    pub from: Mailbox,
    /// Reply-To, if any.
    pub reply_to: Option<Mailbox>,
    /// Recipient.
    pub to: Mailbox,
    /// Subject and bodies.
    pub rendered: RenderedEmail,
    /// `Message-ID` value, angle brackets included.
    pub message_id: String,
    /// https unsubscribe link (signed token included).
    pub unsubscribe_url: String,
    /// `mailto:` unsubscribe address and the token for its subject, if configured.
    pub unsubscribe_mailto: Option<(String, String)>,
    /// Further headers (name, value), already rendered.
    pub extra_headers: Vec<(String, String)>,
}

/// The https unsubscribe link for `token` under the server's public `base_url`.
pub fn unsubscribe_url(base_url: &str, token: &str) -> String {
    format!("{}/unsubscribe/{token}", base_url.trim_end_matches('/'))
}

impl MessageParts {
    /// The `List-Unsubscribe` value: the https link, then the mailto, each in `<>`.
    pub fn list_unsubscribe(&self) -> String {
        match &self.unsubscribe_mailto {
            Some((mailbox, token)) => format!(
                "<{}>, <mailto:{mailbox}?subject=unsubscribe-{token}>",
                self.unsubscribe_url
            ),
            None => format!("<{}>", self.unsubscribe_url),
        }
    }

    /// The message, multipart/alternative with the text part first (RFC 2046: the
    /// preferred alternative comes last).
    pub fn build(self) -> Result<Message, EmailError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(self.to.clone())
            .subject(self.rendered.subject.clone())
            .message_id(Some(self.message_id.clone()))
            .date_now();
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        builder = builder
            .raw_header(raw("List-Unsubscribe", self.list_unsubscribe())?)
            .raw_header(raw(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            )?);
        for (name, value) in &self.extra_headers {
            builder = builder.raw_header(raw(name, value.clone())?);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                self.rendered.text,
                self.rendered.html,
            ))
            .map_err(|error| EmailError::Build(error.to_string()))
    }
}

fn raw(name: &str, value: String) -> Result<HeaderValue, EmailError> {
    let header = |message: &str| EmailError::Header {
        header: name.to_owned(),
        message: message.to_owned(),
    };
    if value.contains(['\r', '\n']) {
        return Err(header("value spans lines"));
    }
    let name = HeaderName::new_from_ascii(name.to_owned())
        .map_err(|_| header("not a valid header name"))?;
    Ok(HeaderValue::new(name, value))
}

/// Parses `value` as a mailbox (`Name <addr>` or `addr`), naming `field` on error.
pub fn mailbox(field: &str, value: &str) -> Result<Mailbox, EmailError> {
    value
        .trim()
        .parse()
        .map_err(|error: lettre::address::AddressError| EmailError::Address {
            field: field.to_owned(),
            value: value.to_owned(),
            message: error.to_string(),
        })
}
