//! Real protocol servers on loopback for the action tests and benchmarks.
#![allow(dead_code)]

pub mod email_setup;
pub mod fake_klaviyo;
pub mod fake_klaviyo_routes;
pub mod smtp_server;
pub mod webhook_setup;
