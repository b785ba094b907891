//! What every handler shares: the store, the accepted tokens, the limits, the metrics.

use std::collections::BTreeMap;
use std::sync::Arc;

use prometheus_client::registry::Registry;
use tokio::sync::watch;

use super::auth::ApiTokens;
use super::engine_metrics::EngineCollector;
use super::group_commit::GroupCommit;
use super::keyed_lock::KeyedLock;
use super::limits::Limits;
use super::metrics::ServerMetrics;
use super::payload::Rules;
use super::store_health::StoreHealth;
use super::store_metrics::StoreCollector;
use super::ServerError;
use crate::engine::Engine;
use crate::project::{default_mailbox_providers, ConsentCategory, Project, Secret, OTHER_PROVIDER};
use crate::store::Store;

/// Largest request body accepted when the project does not set `server.max_body_bytes`.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Address the server binds when the project does not set `server.bind`.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Shared state of the HTTP server. Cheap to clone.
#[derive(Clone)]
pub struct ServerState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<Store>,
    commit: Arc<GroupCommit>,
    registry: Arc<Registry>,
    tokens: ApiTokens,
    max_body_bytes: usize,
    limits: Limits,
    rules: Rules,
    categories: BTreeMap<String, ConsentCategory>,
    unsubscribe: Option<UnsubscribeKey>,
    metrics: ServerMetrics,
    events: watch::Sender<u64>,
    engine: Option<Arc<Engine>>,
    /// Serialises one-click check-and-record per customer and category.
    one_click: KeyedLock,
    store_health: Arc<StoreHealth>,
}

/// The key that signs unsubscribe tokens and the category they reject by default.
#[derive(Clone, Debug)]
pub struct UnsubscribeKey {
    /// HMAC key (`email.unsubscribe.signing_key`).
    pub key: Secret,
    /// Category rejected when a token names none (`email.unsubscribe.category`).
    pub category: String,
}

impl std::fmt::Debug for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerState")
            .field("store", &self.inner.store.path())
            .field("tokens", &self.inner.tokens)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl ServerState {
    /// A state over `store` with no tokens, the default body limit and no unsubscribe key;
    /// adjust with the builder methods.
    pub fn new(store: Arc<Store>) -> Self {
        Builder::new(store).build()
    }

    /// Starts a builder (tests and embedding).
    pub fn builder(store: Arc<Store>) -> Builder {
        Builder::new(store)
    }

    /// The state for a project: tokens and the signing key are read from their sources; a
    /// secret that cannot be read is an error.
    pub fn from_project(project: &Project, store: Arc<Store>) -> Result<Self, ServerError> {
        let (builder, problems) = Self::builder_for_project(project, store);
        match problems.into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(builder.build()),
        }
    }

    /// A builder set up from a project (add the engine with [`Builder::engine`]), and the
    /// secrets that could not be read. The builder leaves those out, which fails closed: with
    /// no readable token the API refuses every request, without the signing key unsubscribe
    /// links answer 404.
    pub fn builder_for_project(
        project: &Project,
        store: Arc<Store>,
    ) -> (Builder, Vec<ServerError>) {
        let mut providers: Vec<String> = project.mailbox_providers().into_keys().collect();
        if !providers.iter().any(|p| p == OTHER_PROVIDER) {
            providers.push(OTHER_PROVIDER.to_owned());
        }
        let mut builder = Builder::new(store)
            .categories(project.file.consent_categories.clone())
            .providers(providers);
        let mut problems = Vec::new();
        if let Some(server) = &project.file.server {
            let mut tokens = Vec::new();
            for (index, source) in server.tokens.iter().enumerate() {
                match source.read(&project.root) {
                    Ok(token) => tokens.push(token),
                    Err(source) => problems.push(ServerError::Secret {
                        what: format!("server.tokens[{index}]"),
                        source,
                    }),
                }
            }
            builder = builder.tokens(tokens);
            if let Some(limit) = server.max_body_bytes {
                builder = builder.max_body_bytes(limit);
            }
            match Limits::from_config(server) {
                Ok(limits) => builder = builder.limits(limits),
                Err(problem) => problems.push(problem),
            }
        }
        if let Some(email) = &project.file.email {
            let unsubscribe = &email.unsubscribe;
            match unsubscribe.signing_key.read(&project.root) {
                Ok(key) => builder = builder.unsubscribe(key, unsubscribe.category.clone()),
                Err(source) => problems.push(ServerError::Secret {
                    what: "email.unsubscribe.signing_key".into(),
                    source,
                }),
            }
        }
        (builder, problems)
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    /// Group commit over the store: await it before acknowledging writes.
    pub fn commit(&self) -> &GroupCommit {
        &self.inner.commit
    }

    /// The metrics registry (server counters and store collectors).
    pub fn registry(&self) -> Arc<Registry> {
        Arc::clone(&self.inner.registry)
    }

    /// Accepted bearer tokens.
    pub fn tokens(&self) -> &ApiTokens {
        &self.inner.tokens
    }

    /// Largest request body accepted.
    pub fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes
    }

    /// Timeouts and the connection limit.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Validation rules derived from the project.
    pub fn rules(&self) -> &Rules {
        &self.inner.rules
    }

    /// The project's consent categories (descriptions for the unsubscribe page).
    pub fn categories(&self) -> &BTreeMap<String, ConsentCategory> {
        &self.inner.categories
    }

    /// The unsubscribe signing key, when the project sends e-mail.
    pub fn unsubscribe_key(&self) -> Option<&UnsubscribeKey> {
        self.inner.unsubscribe.as_ref()
    }

    /// The engine sharing this process, for `/status` and engine metrics.
    pub fn engine(&self) -> Option<&Arc<Engine>> {
        self.inner.engine.as_ref()
    }

    /// Counters of the server itself.
    pub fn metrics(&self) -> &ServerMetrics {
        &self.inner.metrics
    }

    /// Watches the next event-log sequence: it changes right after ingested or unsubscribe
    /// events are flushed, so the engine can run `on_event` triggers without waiting for
    /// its next poll of the log.
    pub fn event_feed(&self) -> watch::Receiver<u64> {
        self.inner.events.subscribe()
    }

    /// Whether the store accepts writes, as the server last saw it.
    pub fn store_health(&self) -> &Arc<StoreHealth> {
        &self.inner.store_health
    }

    /// Held while an unsubscribe checks the consent state and records its reject, so
    /// concurrent clicks on one link record one reject.
    pub(crate) fn one_click_lock(&self) -> &KeyedLock {
        &self.inner.one_click
    }

    /// Announces that the event log now ends before `next_seq`.
    pub(crate) fn announce_events(&self, next_seq: u64) {
        self.inner.events.send_if_modified(|current| {
            let advanced = next_seq > *current;
            if advanced {
                *current = next_seq;
            }
            advanced
        });
    }
}

/// Builds a [`ServerState`].
pub struct Builder {
    store: Arc<Store>,
    tokens: Vec<Secret>,
    max_body_bytes: usize,
    limits: Limits,
    categories: BTreeMap<String, ConsentCategory>,
    unsubscribe: Option<UnsubscribeKey>,
    engine: Option<Arc<Engine>>,
    providers: Vec<String>,
}

impl Builder {
    fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            tokens: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            limits: Limits::default(),
            categories: BTreeMap::new(),
            unsubscribe: None,
            engine: None,
            providers: default_mailbox_providers()
                .into_keys()
                .chain([OTHER_PROVIDER.to_owned()])
                .collect(),
        }
    }

    /// The engine of this process: enables `/status` and the engine's metrics.
    pub fn engine(mut self, engine: Arc<Engine>) -> Self {
        self.engine = Some(engine);
        self
    }

    /// Mailbox-provider groups that the e-mail metrics report (default: the built-in groups
    /// and `other`).
    pub fn providers(mut self, providers: Vec<String>) -> Self {
        self.providers = providers;
        self
    }

    /// Accepted bearer tokens.
    pub fn tokens(mut self, tokens: Vec<Secret>) -> Self {
        self.tokens = tokens;
        self
    }

    /// Largest request body accepted, in bytes.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Timeouts and the connection limit (default: [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The project's consent categories; consent events must name one of them.
    pub fn categories(mut self, categories: BTreeMap<String, ConsentCategory>) -> Self {
        self.categories = categories;
        self
    }

    /// The key that verifies unsubscribe tokens and the default category.
    pub fn unsubscribe(mut self, key: Secret, category: impl Into<String>) -> Self {
        self.unsubscribe = Some(UnsubscribeKey {
            key,
            category: category.into(),
        });
        self
    }

    /// Sets or clears the unsubscribe key (without one, unsubscribe links answer 404).
    pub fn unsubscribe_key(mut self, key: Option<UnsubscribeKey>) -> Self {
        self.unsubscribe = key;
        self
    }

    /// The state.
    pub fn build(self) -> ServerState {
        let next_seq = self.store.next_event_seq();
        let (events, _) = watch::channel(next_seq);
        let commit = Arc::new(GroupCommit::new(Arc::clone(&self.store)));
        let metrics = ServerMetrics::default();
        let mut registry = Registry::with_prefix("warmup");
        metrics.register(&mut registry);
        registry.register_collector(Box::new(StoreCollector::new(
            Arc::clone(&self.store),
            Arc::clone(&commit),
        )));
        if let Some(engine) = &self.engine {
            registry.register_collector(Box::new(EngineCollector::new(
                Arc::clone(engine),
                Arc::clone(&self.store),
                self.providers,
            )));
        }
        ServerState {
            inner: Arc::new(Inner {
                commit,
                registry: Arc::new(registry),
                tokens: ApiTokens::new(&self.tokens),
                max_body_bytes: self.max_body_bytes,
                limits: self.limits,
                rules: Rules {
                    categories: self.categories.keys().cloned().collect(),
                },
                categories: self.categories,
                unsubscribe: self.unsubscribe,
                metrics,
                events,
                engine: self.engine,
                store: self.store,
                one_click: KeyedLock::default(),
                store_health: Arc::default(),
            }),
        }
    }
}
