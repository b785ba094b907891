//! The Klaviyo integration: a typed API client, the sync into the customer store, and a fake
//! Klaviyo server for tests, the demo and benchmarks.

pub mod client;
pub mod fake;
pub mod ids;
pub mod setup;
pub mod sync;
