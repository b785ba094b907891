//! Bearer-token authentication of the ingest and status endpoints.
//!
//! Tokens come from the project's `server.tokens` (environment variables or files). A request
//! passes when its `Authorization: Bearer TOKEN` header matches any of them. The comparison
//! runs over SHA-256 digests in constant time, so response timing reveals nothing about how
//! much of a guess was right; the tokens themselves never appear in errors or logs.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{ApiError, ServerState};
use crate::project::Secret;

/// The accepted bearer tokens, kept as digests.
#[derive(Clone, Default)]
pub struct ApiTokens {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiTokens({} configured)", self.digests.len())
    }
}

impl ApiTokens {
    /// Accepts exactly these tokens.
    pub fn new<'a>(tokens: impl IntoIterator<Item = &'a Secret>) -> Self {
        Self {
            digests: tokens
                .into_iter()
                .map(|token| digest(token.expose()))
                .collect(),
        }
    }

    /// Whether no token is configured (every request is refused).
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Checks the `Authorization` header of a request.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "missing `Authorization: Bearer TOKEN` header",
            ));
        };
        let presented = value
            .to_str()
            .ok()
            .and_then(|text| {
                let (scheme, token) = text.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the `Authorization` header must be `Bearer TOKEN`")
            })?;
        if self.is_empty() {
            return Err(ApiError::unauthorized(
                "no API tokens are configured (server.tokens in the project file)",
            ));
        }
        let presented = digest(presented);
        // Compare with every token, without stopping early, so timing reveals no position.
        let matched = self
            .digests
            .iter()
            .fold(subtle::Choice::from(0), |any, known| {
                any | known.ct_eq(&presented)
            });
        if bool::from(matched) {
            Ok(())
        } else {
            Err(ApiError::unauthorized("the bearer token is not valid"))
        }
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Middleware refusing requests without a valid bearer token (401).
pub async fn require_token(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    state.tokens().check(request.headers())?;
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn accepts_any_configured_token_and_nothing_else() {
        let secrets = [Secret::new("alpha"), Secret::new("beta")];
        let tokens = ApiTokens::new(&secrets);
        assert!(tokens.check(&headers("Bearer alpha")).is_ok());
        assert!(tokens.check(&headers("bearer beta")).is_ok());
        let wrong = tokens.check(&headers("Bearer gamma")).unwrap_err();
        assert_eq!(wrong.message(), "the bearer token is not valid");
        let basic = tokens.check(&headers("Basic YWxwaGE=")).unwrap_err();
        assert_eq!(basic.field(), Some("authorization"));
        assert!(tokens.check(&HeaderMap::new()).is_err());
        assert!(tokens.check(&headers("Bearer ")).is_err());
    }

    #[test]
    fn refuses_everything_without_configured_tokens() {
        let error = ApiTokens::default()
            .check(&headers("Bearer anything"))
            .unwrap_err();
        assert!(error.message().contains("server.tokens"));
    }

    #[test]
    fn debug_output_hides_tokens() {
        let secrets = [Secret::new("alpha")];
        assert_eq!(
            format!("{:?}", ApiTokens::new(&secrets)),
            "ApiTokens(1 configured)"
        );
    }
}
