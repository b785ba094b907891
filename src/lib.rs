//! # warmup
//!
//! A declarative workflow engine that moves a brand's email sending off Klaviyo
//! gradually. Campaign engineers describe warm-up scenarios in YAML; warmup checks
//! them, compiles them to a DAG and runs them on a schedule, keeping customers,
//! events and progress in an embedded sled store.

pub mod actions;
pub mod cli;
pub mod engine;
pub mod graph;
pub mod import;
pub mod klaviyo;
pub mod preflight;
pub mod project;
pub mod report;
pub mod sample;
pub mod sample_memberships;
pub mod scenario;
pub mod schema;
pub mod server;
pub mod store;
pub mod template;
