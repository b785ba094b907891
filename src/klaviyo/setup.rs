//! The integration as a project configures it: a client and the mapping tables, with every
//! configuration mistake named by field.

use crate::klaviyo::client::{KlaviyoClient, DEFAULT_BASE_URL, DEFAULT_REVISION};
use crate::klaviyo::sync::{Mapping, ScheduleError, SyncSchedule};
use crate::project::{Project, SecretError};

/// A problem with the project's `klaviyo` section. Never contains the key.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// No `klaviyo` section.
    #[error("{0}: no `klaviyo` section")]
    Missing(String),
    /// The key cannot be read.
    #[error("{path}: klaviyo.api_key: {source}")]
    Key {
        /// Project file.
        path: String,
        /// Why.
        source: SecretError,
    },
    /// A list maps to a category the project does not define.
    #[error("{path}: klaviyo.lists.{list}: unknown consent category `{category}`")]
    UnknownCategory {
        /// Project file.
        path: String,
        /// Klaviyo list id.
        list: String,
        /// The category.
        category: String,
    },
    /// A sync interval is malformed or too short.
    #[error("{path}: {source}")]
    Schedule {
        /// Project file.
        path: String,
        /// Which interval and why.
        source: ScheduleError,
    },
    /// The base URL is unusable.
    #[error("{path}: klaviyo.base_url: {message}")]
    BaseUrl {
        /// Project file.
        path: String,
        /// Why.
        message: String,
    },
}

/// Everything a sync needs from the project.
#[derive(Debug, Clone)]
pub struct KlaviyoSetup {
    /// The API client.
    pub client: KlaviyoClient,
    /// Property and list mapping.
    pub mapping: Mapping,
    /// How often `warmup run` syncs.
    pub schedule: SyncSchedule,
    /// Lists and segments whose membership the sync keeps on customers.
    pub memberships: crate::project::Memberships,
}

impl KlaviyoSetup {
    /// Reads the project's `klaviyo` section.
    pub fn from_project(project: &Project) -> Result<Self, SetupError> {
        let path = project.path.display().to_string();
        let config = project
            .file
            .klaviyo
            .as_ref()
            .ok_or_else(|| SetupError::Missing(path.clone()))?;
        let schedule =
            SyncSchedule::from_config(&config.sync).map_err(|source| SetupError::Schedule {
                path: path.clone(),
                source,
            })?;
        if let Some((list, category)) = config
            .lists
            .iter()
            .find(|(_, c)| !project.file.consent_categories.contains_key(*c))
        {
            return Err(SetupError::UnknownCategory {
                path,
                list: list.clone(),
                category: category.clone(),
            });
        }
        let key = config
            .api_key
            .read(&project.root)
            .map_err(|source| SetupError::Key {
                path: path.clone(),
                source,
            })?;
        let base = config.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let revision = config.revision.as_deref().unwrap_or(DEFAULT_REVISION);
        let client = KlaviyoClient::new(base, key, revision).map_err(|e| SetupError::BaseUrl {
            path,
            message: e.to_string(),
        })?;
        let mapping = Mapping {
            properties: config.properties.clone(),
            lists: config.lists.clone(),
        };
        Ok(Self {
            client,
            mapping,
            schedule,
            memberships: config.memberships.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn project(klaviyo: &str) -> Project {
        let text =
            format!("timezone: Europe/Prague\nconsent_categories:\n  newsletter: {{}}\n{klaviyo}");
        Project::from_str(&text, Path::new("/p/warmup.yaml")).unwrap()
    }

    #[test]
    fn configuration_mistakes_name_the_field() {
        let missing = KlaviyoSetup::from_project(&project("")).unwrap_err();
        assert_eq!(missing.to_string(), "/p/warmup.yaml: no `klaviyo` section");
        let no_env = project(
            "klaviyo:\n  api_key: { env: WARMUP_TEST_SURELY_UNSET_KEY }\n  lists: { Y6nRLr: newsletter }\n",
        );
        assert_eq!(
            KlaviyoSetup::from_project(&no_env).unwrap_err().to_string(),
            "/p/warmup.yaml: klaviyo.api_key: environment variable `WARMUP_TEST_SURELY_UNSET_KEY` is not set"
        );
        let unknown = project("klaviyo:\n  api_key: { env: HOME }\n  lists: { Y6nRLr: offers }\n");
        assert_eq!(
            KlaviyoSetup::from_project(&unknown)
                .unwrap_err()
                .to_string(),
            "/p/warmup.yaml: klaviyo.lists.Y6nRLr: unknown consent category `offers`"
        );
        let fast = project("klaviyo:\n  api_key: { env: HOME }\n  sync: { events: 10s }\n");
        assert!(KlaviyoSetup::from_project(&fast)
            .unwrap_err()
            .to_string()
            .contains("klaviyo.sync.events: `10s` is shorter than the minimum of 1m"));
        let fine = project("klaviyo:\n  api_key: { env: HOME }\n  lists: { Y6nRLr: newsletter }\n");
        let setup = KlaviyoSetup::from_project(&fine).unwrap();
        assert_eq!(setup.mapping.lists["Y6nRLr"], "newsletter");
    }
}
