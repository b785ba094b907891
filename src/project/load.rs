use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{default_mailbox_providers, ProjectFile};

/// The file name looked up in the working directory when `--project` is not given.
pub const PROJECT_FILE_NAME: &str = "warmup.yaml";

/// A loaded project file and where it lives.
#[derive(Debug, Clone)]
pub struct Project {
    /// The file as written.
    pub file: ProjectFile,
    /// Path of the project file.
    pub path: PathBuf,
    /// Folder of the project file; relative paths resolve against it.
    pub root: PathBuf,
}

/// Why a project file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("no project file: `{0}` does not exist (pass --project or create warmup.yaml)")]
    NotFound(PathBuf),
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

impl Project {
    /// Loads `explicit`, or `warmup.yaml` in the working directory.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ProjectError> {
        let path = explicit
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(PROJECT_FILE_NAME));
        if !path.exists() {
            return Err(ProjectError::NotFound(path));
        }
        let text = std::fs::read_to_string(&path).map_err(|source| ProjectError::Read {
            path: path.clone(),
            source,
        })?;
        Self::from_str(&text, &path)
    }

    /// Parses project text that was read from `path`.
    pub fn from_str(text: &str, path: &Path) -> Result<Self, ProjectError> {
        if let Some((line, column, message)) = crate::scenario::yaml::too_deep(text) {
            return Err(ProjectError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message,
            });
        }
        let file: ProjectFile = serde_yaml::from_str(text).map_err(|error| {
            let (line, column) = error
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            ProjectError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: error.to_string(),
            }
        })?;
        let root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Ok(Self {
            file,
            path: path.to_path_buf(),
            root: root.to_path_buf(),
        })
    }

    /// The store folder.
    pub fn store_dir(&self) -> PathBuf {
        self.file.store_dir(&self.root)
    }

    /// The scenario folders or files (default `scenarios/`).
    pub fn scenario_paths(&self) -> Vec<PathBuf> {
        if self.file.scenarios.is_empty() {
            return vec![self.root.join("scenarios")];
        }
        self.file
            .scenarios
            .iter()
            .map(|p| self.root.join(p))
            .collect()
    }

    /// Mailbox-provider groups: the file's, or the defaults.
    pub fn mailbox_providers(&self) -> BTreeMap<String, Vec<String>> {
        self.file
            .mailbox_providers
            .clone()
            .unwrap_or_else(default_mailbox_providers)
    }

    /// The e-mail template folder (default `templates`).
    pub fn templates_dir(&self) -> PathBuf {
        let dir = self.file.email.as_ref().and_then(|e| e.templates.clone());
        self.root
            .join(dir.unwrap_or_else(|| PathBuf::from("templates")))
    }
}
