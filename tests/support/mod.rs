//! Real protocol servers on loopback for the action tests and benchmarks.
#![allow(dead_code)]

pub mod fake_klaviyo;
pub mod smtp_server;
