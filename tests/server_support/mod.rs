//! A server on 127.0.0.1:0 over a store in a temporary folder, driven with reqwest.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use warmup::project::Secret;
use warmup::server::{self, Builder, ServerError, ServerState};
use warmup::store::Store;

/// The bearer token every test server accepts.
pub const TOKEN: &str = "test-ingest-token";
/// The unsubscribe signing key of every test server.
pub const SIGNING_KEY: &str = "test-unsubscribe-key";

/// A running in-process server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub state: ServerState,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    shutdown: CancellationToken,
    handle: JoinHandle<Result<(), ServerError>>,
}

impl TestServer {
    /// A server with [`TOKEN`], [`SIGNING_KEY`] and category `newsletter`.
    pub async fn start() -> Self {
        Self::start_with(|builder| builder).await
    }

    /// A server whose state builder is adjusted by `configure`.
    pub async fn start_with(configure: impl FnOnce(Builder) -> Builder) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(Store::open(&dir.path().join("store")).expect("store"));
        let builder = ServerState::builder(store)
            .tokens(vec![Secret::new(TOKEN)])
            .unsubscribe(Secret::new(SIGNING_KEY), "newsletter");
        let state = configure(builder).build();
        let listener = server::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(server::serve_listener(
            state.clone(),
            listener,
            shutdown.clone(),
        ));
        Self {
            addr,
            state,
            client: reqwest::Client::new(),
            dir,
            shutdown,
            handle,
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        self.state.store()
    }

    /// POSTs `body` (raw) to `path` with the test token.
    pub async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// POSTs JSON to `path` with the test token.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.post(path, body.to_string()).await
    }

    /// Stops the server gracefully; returns the folder that held the store.
    pub async fn stop(self) -> (tempfile::TempDir, PathBuf) {
        self.shutdown.cancel();
        self.handle.await.expect("join").expect("server");
        let path = self.dir.path().join("store");
        drop(self.state);
        (self.dir, path)
    }
}

/// The status and parsed JSON body of a response.
pub async fn json(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, value)
}
