//! Signed unsubscribe tokens: the customer and consent category an unsubscribe link
//! rejects, with the time it was issued, under an HMAC-SHA256 signature.
//!
//! Format: `v1.<payload>.<signature>`, both parts base64url without padding, so a token
//! fits a URL path and a mailto subject unescaped. The signature covers `v1.<payload>`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::project::Secret;

const VERSION: &str = "v1";

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Customer id.
    #[serde(rename = "c")]
    pub customer: String,
    /// Consent category to reject.
    #[serde(rename = "k")]
    pub category: String,
    /// When the token was issued, seconds since the Unix epoch.
    #[serde(rename = "t")]
    pub issued_at: i64,
}

/// Why a token was refused. Never contains the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not `v1.<payload>.<signature>` in base64url.
    #[error("unsubscribe token is malformed")]
    Malformed,
    /// A version this build does not know.
    #[error("unsubscribe token has unknown version `{0}`")]
    UnknownVersion(String),
    /// The signature does not match: forged, altered, or signed with another key.
    #[error("unsubscribe token signature is invalid")]
    BadSignature,
}

/// A token for `customer` and `category`, issued now.
pub fn sign(key: &Secret, customer: &str, category: &str) -> String {
    sign_claims(
        key,
        &Claims {
            customer: customer.to_owned(),
            category: category.to_owned(),
            issued_at: chrono::Utc::now().timestamp(),
        },
    )
}

/// A token carrying `claims`.
pub fn sign_claims(key: &Secret, claims: &Claims) -> String {
    // Serialising three plain fields cannot fail.
    let json = serde_json::to_vec(claims).unwrap_or_default();
    let signed = format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(json));
    let signature = URL_SAFE_NO_PAD.encode(mac(key, &signed).finalize().into_bytes());
    format!("{signed}.{signature}")
}

/// Checks the signature (in constant time) and returns the claims.
pub fn verify(key: &Secret, token: &str) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(version), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    if version != VERSION {
        return Err(TokenError::UnknownVersion(
            version.chars().take(16).collect(),
        ));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    mac(key, &format!("{version}.{payload}"))
        .verify_slice(&signature)
        .map_err(|_| TokenError::BadSignature)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)
}

fn mac(key: &Secret, data: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(data.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> Secret {
        Secret::new("k3y-for-tests")
    }

    #[test]
    fn round_trips_and_is_url_safe() {
        let token = sign(&key(), "cust-42", "newsletter");
        assert!(token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        let claims = verify(&key(), &token).unwrap();
        assert_eq!(claims.customer, "cust-42");
        assert_eq!(claims.category, "newsletter");
        assert!(claims.issued_at > 1_700_000_000);
    }

    #[test]
    fn rejects_foreign_tampered_and_malformed_tokens() {
        let token = sign(&key(), "cust-42", "newsletter");
        let foreign = sign(&Secret::new("another key"), "cust-42", "newsletter");
        assert_eq!(verify(&key(), &foreign), Err(TokenError::BadSignature));
        let claims = Claims {
            customer: "cust-43".into(),
            category: "newsletter".into(),
            issued_at: 0,
        };
        let other_payload = sign_claims(&key(), &claims);
        let spliced = format!(
            "v1.{}.{}",
            other_payload.split('.').nth(1).unwrap(),
            token.split('.').nth(2).unwrap()
        );
        assert_eq!(verify(&key(), &spliced), Err(TokenError::BadSignature));
        assert_eq!(verify(&key(), "v1.abc"), Err(TokenError::Malformed));
        assert_eq!(verify(&key(), "v1.a.b!c"), Err(TokenError::Malformed));
        assert_eq!(
            verify(&key(), &token.replacen("v1", "v2", 1)),
            Err(TokenError::UnknownVersion("v2".into()))
        );
    }

    proptest! {
        #[test]
        fn any_single_character_change_is_rejected(index in 0usize..200, c in "[A-Za-z0-9_.-]") {
            let token = sign(&key(), "cust-42", "newsletter");
            let index = index % token.len();
            let mut altered: Vec<char> = token.chars().collect();
            let replacement = c.chars().next().unwrap();
            prop_assume!(altered[index] != replacement);
            altered[index] = replacement;
            let altered: String = altered.into_iter().collect();
            // Base64 without padding has slack bits in its last character; a change there
            // may decode to the same bytes, which is the same token, not a forgery.
            if let Ok(claims) = verify(&key(), &altered) {
                prop_assert_eq!(claims, verify(&key(), &token).unwrap());
            }
        }
    }
}
