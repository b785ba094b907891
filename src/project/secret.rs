//! Secrets (API keys, passwords, signing keys) come from the environment or a
//! file, never from YAML, and never appear in `Debug` output.

use std::fmt;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a secret comes from: exactly one of `env` or `file`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    /// Name of the environment variable holding the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// Path of a file holding the secret (trailing newline trimmed), relative to the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
}

/// Why a secret could not be read. Never contains the secret itself.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable `{0}` is not set")]
    MissingEnv(String),
    #[error("cannot read secret file `{path}`: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("a secret needs exactly one of `env` or `file`")]
    Ambiguous,
    #[error("secret from {0} is empty")]
    Empty(String),
}

impl SecretSource {
    /// Reads the secret; relative file paths resolve against `root`.
    pub fn read(&self, root: &std::path::Path) -> Result<Secret, SecretError> {
        let (value, origin) = match (&self.env, &self.file) {
            (Some(name), None) => {
                let value =
                    std::env::var(name).map_err(|_| SecretError::MissingEnv(name.clone()))?;
                (value, format!("environment variable `{name}`"))
            }
            (None, Some(path)) => {
                let path = root.join(path);
                let value = std::fs::read_to_string(&path).map_err(|source| SecretError::File {
                    path: path.clone(),
                    source,
                })?;
                (
                    value.trim_end_matches(['\r', '\n']).to_owned(),
                    format!("file `{}`", path.display()),
                )
            }
            _ => return Err(SecretError::Ambiguous),
        };
        if value.is_empty() {
            return Err(SecretError::Empty(origin));
        }
        Ok(Secret(value))
    }
}

/// A secret value. `Debug` and `Display` print `***`; use [`Secret::expose`] to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value as a secret (tests, generated keys).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: only for putting it on the wire, never for messages.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the secret in `text` with `***`.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
