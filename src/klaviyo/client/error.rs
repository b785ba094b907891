//! What can go wrong talking to Klaviyo. No variant ever holds the API key.

/// A failed Klaviyo call.
#[derive(Debug, thiserror::Error)]
pub enum KlaviyoError {
    /// 401/403: the key is wrong, revoked or lacks a scope.
    #[error(
        "Klaviyo authentication failed (HTTP {status}: {detail}); check the API key \
         configured under `klaviyo.api_key` (the key itself is not shown)"
    )]
    Authentication {
        /// HTTP status.
        status: u16,
        /// Klaviyo's explanation.
        detail: String,
    },
    /// Any other error document from Klaviyo.
    #[error("Klaviyo refused {method} {path} (HTTP {status}, {code}): {detail}")]
    Api {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// HTTP status.
        status: u16,
        /// Klaviyo's error code, e.g. `invalid`.
        code: String,
        /// Klaviyo's detail.
        detail: String,
    },
    /// An error answer whose body is not JSON (e.g. a Cloudflare HTML page).
    #[error("Klaviyo answered {method} {path} with HTTP {status} and a non-JSON body: {excerpt}")]
    Http {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// HTTP status.
        status: u16,
        /// The start of the body, tags stripped.
        excerpt: String,
    },
    /// Connection refused, reset, timed out.
    #[error("cannot reach Klaviyo at {url}: {message}")]
    Transport {
        /// The URL (never carries the key).
        url: String,
        /// What failed.
        message: String,
    },
    /// Retryable failures continued past the retry budget.
    #[error("gave up after {attempts} attempts; last error: {last}")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: Box<KlaviyoError>,
    },
    /// A success answer that does not have the documented shape.
    #[error("unexpected answer from Klaviyo for {path}: {message}")]
    Decode {
        /// Request path.
        path: String,
        /// What did not fit.
        message: String,
    },
    /// The configured base URL is unusable, or a `links.next` leaves it.
    #[error("invalid Klaviyo URL `{url}`: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

impl KlaviyoError {
    /// Whether the error is an authentication failure (directly or as the last of retries).
    pub fn is_authentication(&self) -> bool {
        match self {
            Self::Authentication { .. } => true,
            Self::RetriesExhausted { last, .. } => last.is_authentication(),
            _ => false,
        }
    }
}

/// A readable excerpt of a non-JSON body: tags removed, whitespace collapsed, 200 chars.
pub fn excerpt(body: &str) -> String {
    let mut text = String::with_capacity(body.len().min(400));
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let collapsed: Vec<&str> = text.split_whitespace().collect();
    let joined = collapsed.join(" ");
    match joined.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None if joined.is_empty() => "(empty body)".to_owned(),
        None => joined,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn html_bodies_become_short_text() {
        let html = "<html><head><title>Attention Required! | Cloudflare</title></head>\n<body>x</body></html>";
        assert_eq!(super::excerpt(html), "Attention Required! | Cloudflare x");
        assert_eq!(super::excerpt(""), "(empty body)");
        assert_eq!(super::excerpt(&"a".repeat(500)).chars().count(), 201);
    }
}
