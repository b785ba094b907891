//! The fake Klaviyo HTTP server: start it on a port (0 for any), talk to it through
//! [`FakeKlaviyo::base_url`], inspect or change its account, shut it down.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::config::{FakeConfig, JobMode};
use super::errors::{ApiError, JSON_API};
use super::file::SeedFileError;
use super::rate_limit::RateLimiter;
use super::routes::{events, jobs, lists, profiles, segments};
use super::state::FakeState;

/// Shared by all handlers.
#[derive(Clone)]
pub struct App(Arc<Shared>);

struct Shared {
    state: Mutex<FakeState>,
    limiter: Mutex<RateLimiter>,
    api_key: String,
    base_url: String,
    jobs: JobMode,
    failures: AtomicU32,
    tracker: TaskTracker,
    cancel: CancellationToken,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl App {
    /// The account, locked.
    pub fn state(&self) -> MutexGuard<'_, FakeState> {
        lock(&self.0.state)
    }

    pub(crate) fn limiter(&self) -> MutexGuard<'_, RateLimiter> {
        lock(&self.0.limiter)
    }

    pub(crate) fn api_key(&self) -> &str {
        &self.0.api_key
    }

    /// Base of absolute links.
    pub fn base(&self) -> &str {
        &self.0.base_url
    }

    pub(crate) fn jobs(&self) -> JobMode {
        self.0.jobs
    }

    pub(crate) fn count(&self, route: &str) {
        *self.state().requests.entry(route.to_owned()).or_default() += 1;
    }

    pub(crate) fn note_throttled(&self) {
        self.state().throttled += 1;
    }

    pub(crate) fn take_injected_failure(&self) -> bool {
        self.0
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Runs `work` after `delay` on the server's task tracker (asynchronous jobs).
    pub(crate) fn later(
        &self,
        delay: std::time::Duration,
        work: impl FnOnce(&App) + Send + 'static,
    ) {
        let app = self.clone();
        let cancel = self.0.cancel.clone();
        self.0.tracker.spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(delay) => work(&app),
                () = cancel.cancelled() => {}
            }
        });
    }
}

/// A `200`/`201` JSON:API document.
pub fn document(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_API));
    response
}

/// Why a fake could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The seed file is bad.
    #[error(transparent)]
    SeedFile(#[from] SeedFileError),
}

/// A running fake Klaviyo.
pub struct FakeKlaviyo {
    app: App,
    addr: SocketAddr,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl FakeKlaviyo {
    /// Generates (or loads) the account and serves it on 127.0.0.1 at an ephemeral port.
    pub async fn start(config: FakeConfig) -> Result<Self, StartError> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Generates the account, or loads it from the config's seed file, and serves it on
    /// `addr`.
    pub async fn start_on(config: FakeConfig, addr: SocketAddr) -> Result<Self, StartError> {
        // The file first: a bad file is the user's to fix, whatever the port.
        let state = match &config.seed_file {
            Some(path) => FakeState::from_seed_file(path)?,
            None => super::seed::generate(&config),
        };
        let listen = |source| StartError::Listen { addr, source };
        let listener = TcpListener::bind(addr).await.map_err(listen)?;
        let addr = listener.local_addr().map_err(listen)?;
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let base_url = config
            .public_base_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let app = App(Arc::new(Shared {
            state: Mutex::new(state),
            limiter: Mutex::new(RateLimiter::new(config.rate_limits.clone())),
            api_key: config.api_key.clone(),
            base_url,
            jobs: config.jobs,
            failures: AtomicU32::new(config.fail_first),
            tracker: tracker.clone(),
            cancel: cancel.clone(),
        }));
        let router = router(app.clone());
        let shutdown = cancel.clone();
        tracker.spawn(async move {
            let serve = axum::serve(listener, router)
                .with_graceful_shutdown(async move { shutdown.cancelled().await });
            if let Err(error) = serve.await {
                tracing::error!(%error, "fake Klaviyo server stopped");
            }
        });
        Ok(Self {
            app,
            addr,
            cancel,
            tracker,
        })
    }

    /// `http://127.0.0.1:PORT`, the base URL to give a client.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The account, locked: inspect it, or change it as a user would in Klaviyo's UI.
    pub fn state(&self) -> MutexGuard<'_, FakeState> {
        self.app.state()
    }

    /// Writes the account as it is now to a seed file (JSON or YAML by extension), which
    /// [`FakeConfig::seed_file`] loads back.
    pub fn dump_state(&self, path: &std::path::Path) -> Result<(), SeedFileError> {
        self.state().write_seed_file(path)
    }

    /// Makes the next `n` requests fail with 500 (after counting them).
    pub fn fail_next(&self, n: u32) {
        self.app.0.failures.store(n, Ordering::SeqCst);
    }

    /// Applies every accepted subscription job now ([`JobMode::Manual`]).
    pub fn apply_pending_jobs(&self) {
        jobs::apply_pending(&self.app);
    }

    /// Stops accepting connections, finishes open requests and pending delayed jobs.
    pub async fn shutdown(self) {
        self.stop().await;
    }

    /// Like [`shutdown`](Self::shutdown), keeping the account to inspect or dump.
    pub async fn stop(&self) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }

    /// Waits until the token is cancelled, then shuts down (the CLI's Ctrl-C path).
    pub async fn serve_until(self, token: CancellationToken) {
        token.cancelled().await;
        self.shutdown().await;
    }
}

/// Registers a route with and without its trailing slash.
fn both(router: Router<App>, path: &str, method: MethodRouter<App>) -> Router<App> {
    router
        .route(path, method.clone())
        .route(&format!("{path}/"), method)
}

fn router(app: App) -> Router {
    let mut r = Router::new();
    r = both(
        r,
        "/api/profiles",
        get(profiles::list).post(profiles::create),
    );
    r = both(
        r,
        "/api/profiles/{id}",
        get(profiles::one).patch(profiles::update),
    );
    r = both(r, "/api/profile-import", post(profiles::import));
    r = both(r, "/api/lists", get(lists::all));
    r = both(r, "/api/lists/{id}", get(lists::one));
    r = both(r, "/api/lists/{id}/profiles", get(lists::profiles));
    let relationships = get(lists::member_ids)
        .post(lists::add_members)
        .delete(lists::remove_members);
    r = both(r, "/api/lists/{id}/relationships/profiles", relationships);
    r = both(r, "/api/segments/{id}/profiles", get(segments::profiles));
    r = both(
        r,
        "/api/profile-subscription-bulk-create-jobs",
        post(jobs::subscribe),
    );
    r = both(
        r,
        "/api/profile-subscription-bulk-delete-jobs",
        post(jobs::unsubscribe),
    );
    r = both(r, "/api/metrics", get(events::metrics));
    r = both(r, "/api/metrics/{id}", get(events::metric));
    r = both(r, "/api/events", get(events::list));
    r = both(r, "/api/events/{id}", get(events::one));
    r.route_layer(axum::middleware::from_fn_with_state(
        app.clone(),
        super::guard::guard,
    ))
    .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
    .fallback(|| async { ApiError::not_found("The requested resource does not exist.") })
    .with_state(app)
}
