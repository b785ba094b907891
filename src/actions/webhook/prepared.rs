//! A request ready to send, and the per-item parts a batch is built from.

use std::collections::BTreeMap;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;

/// One HTTP request, fully rendered.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// HTTP method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers, auth headers included (marked sensitive).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Body bytes, if any.
    pub body: Option<Vec<u8>>,
}

/// One customer's contribution: the request-level values it rendered (items with equal
/// values share a request) and its item for the batch body.
#[derive(Debug, Clone)]
pub struct PreparedItem {
    /// Request-level values (URL, list id, …), rendered in this customer's context.
    pub group: BTreeMap<String, String>,
    /// The customer's item in the batch body (`Null` outside batch mode).
    pub item: serde_json::Value,
}
