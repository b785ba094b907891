//! Which rate limiters a webhook node sends under.

use std::sync::Arc;

use super::auth::ResolvedAuth;
use super::env::WebhookEnv;
use super::klaviyo::KlaviyoRequest;
use crate::actions::rate_limiter::RateLimiter;
use crate::scenario::model::WebhookNode;

/// The limiters a node sends under: its auth schema's (or, for a preset whose schema sets
/// none, Klaviyo's limit for the endpoint), then the node's own.
pub fn limiters(
    node_id: &str,
    node: &WebhookNode,
    auth: Option<&ResolvedAuth>,
    env: &WebhookEnv,
) -> Vec<Arc<RateLimiter>> {
    let mut limiters = Vec::new();
    if let Some(auth) = auth {
        match (auth.rate_limit, node.preset) {
            (Some(limit), _) => {
                limiters.push(
                    env.limiters
                        .get_or_create(&format!("auth:{}", auth.name), limit),
                );
            }
            (None, Some(preset)) => {
                let (endpoint, limit) = KlaviyoRequest::default_limit(preset);
                let key = format!("auth:{}:{endpoint}", auth.name);
                limiters.push(env.limiters.get_or_create(&key, limit));
            }
            (None, None) => {}
        }
    }
    if let Some(limit) = node.rate_limit {
        limiters.push(
            env.limiters
                .get_or_create(&format!("node:{node_id}"), limit),
        );
    }
    limiters
}
