//! Real protocol servers on loopback for the action tests and benchmarks.
#![allow(dead_code)]

pub mod email_setup;
pub mod email_tick;
pub mod email_wave;
pub mod fake_klaviyo;
pub mod fake_klaviyo_routes;
pub mod memory_engine;
pub mod scripted_http;
pub mod smtp_server;
pub mod tls;
pub mod webhook_setup;
