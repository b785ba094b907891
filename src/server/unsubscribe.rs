//! One-click unsubscribe: the links our e-mails carry.
//!
//! `GET /unsubscribe/{token}` shows a confirmation page with a form; it never changes
//! anything, because mail scanners and link previews fetch links on their own.
//! `POST /unsubscribe/{token}` (the page's form, or a mail client's RFC 8058 one-click
//! request with the body `List-Unsubscribe=One-Click`) records a `consent` event
//! `{action: reject, category}` for the customer the token names, flushes the store and
//! wakes the engine, whose `on_event` consent-reject flows (e.g. `#296`) take it from there.
//!
//! Tokens are signed by [`crate::actions::unsubscribe_token`]. A malformed token is a 400,
//! a forged, altered or foreign one (bad signature) a 403, a valid token whose customer no
//! longer exists a 404; each gets a page and changes nothing.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;

use super::ingest::store_error;
use super::page::Page;
use super::ServerState;
use crate::actions::unsubscribe_token::{self, Claims, TokenError};
use crate::store::{ConsentAction, CustomerId, Event, Store};

/// The `source` property of consent events recorded here.
pub const SOURCE: &str = "unsubscribe_link";

/// `GET /unsubscribe/{token}`: the confirmation page.
pub async fn page(State(state): State<ServerState>, Path(token): Path<String>) -> Page {
    let target = match resolve(&state, &token).await {
        Ok(target) => target,
        Err(page) => return page,
    };
    if target.already_rejected {
        return Page::Already {
            category: target.category,
        };
    }
    let description = state
        .categories()
        .get(&target.category)
        .and_then(|category| category.description.clone());
    Page::Confirm {
        category: target.category,
        description,
    }
}

/// `POST /unsubscribe/{token}`: records the consent reject (once) and confirms.
pub async fn confirm(State(state): State<ServerState>, Path(token): Path<String>) -> Page {
    let target = match resolve(&state, &token).await {
        Ok(target) => target,
        Err(page) => {
            state.metrics().unsubscribe("refused");
            return page;
        }
    };
    if target.already_rejected {
        // Repeated clicks must not fire the consent-reject flow again.
        state.metrics().unsubscribe("already_rejected");
        return Page::Done {
            category: target.category,
        };
    }
    match reject(&state, target.customer, &target.category).await {
        Ok(()) => {
            state.metrics().unsubscribe("recorded");
            Page::Done {
                category: target.category,
            }
        }
        Err(message) => refused(StatusCode::INTERNAL_SERVER_ERROR, message),
    }
}

/// A verified token, resolved against the store.
struct Target {
    customer: CustomerId,
    category: String,
    already_rejected: bool,
}

/// Verifies the token and finds its customer, or the page that refuses it.
async fn resolve(state: &ServerState, token: &str) -> Result<Target, Page> {
    let Some(key) = state.unsubscribe_key() else {
        return Err(refused(
            StatusCode::NOT_FOUND,
            "Unsubscribe links are not enabled on this server.",
        ));
    };
    let claims = unsubscribe_token::verify(&key.key, token).map_err(token_refused)?;
    let category = if claims.category.trim().is_empty() {
        key.category.clone()
    } else {
        claims.category.trim().to_owned()
    };
    let store = std::sync::Arc::clone(state.store());
    let lookup = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let Some(customer) = customer_of(&store, &claims)? else {
            return Ok(None);
        };
        let state = store
            .consent_state(customer, &category)
            .map_err(|error| error.to_string())?;
        let already_rejected = state.is_some_and(|state| state.action == ConsentAction::Reject);
        Ok(Some(Target {
            customer,
            category,
            already_rejected,
        }))
    })
    .await
    .map_err(|join| join.to_string())
    .and_then(|result| result);
    match lookup {
        Ok(Some(target)) => Ok(target),
        Ok(None) => Err(refused(
            StatusCode::NOT_FOUND,
            "This link does not match any subscriber any more.",
        )),
        Err(message) => Err(refused(StatusCode::INTERNAL_SERVER_ERROR, message)),
    }
}

/// The customer a token names: an internal id (`42` or `#42`), else any identifier.
fn customer_of(store: &Store, claims: &Claims) -> Result<Option<CustomerId>, String> {
    let named = claims.customer.trim();
    let found = match named.trim_start_matches('#').parse::<u64>() {
        Ok(number) => store.resolve(CustomerId(number)),
        Err(_) => store
            .find_by_any(named)
            .map(|customer| customer.map(|customer| customer.id)),
    };
    found.map_err(|error| error.to_string())
}

/// Records the consent reject, flushes, and wakes the engine.
async fn reject(state: &ServerState, customer: CustomerId, category: &str) -> Result<(), String> {
    let store = std::sync::Arc::clone(state.store());
    let event = Event::new("consent", Utc::now())
        .with("action", "reject")
        .with("category", category)
        .with("source", SOURCE);
    let seq = tokio::task::spawn_blocking(move || store.record_event(customer, &event))
        .await
        .map_err(|join| join.to_string())?
        .map_err(|error| store_error(error).message().to_owned())?;
    state
        .commit()
        .commit()
        .await
        .map_err(|error| error.to_string())?;
    state.announce_events(seq + 1);
    Ok(())
}

fn token_refused(error: TokenError) -> Page {
    match error {
        TokenError::BadSignature => refused(
            StatusCode::FORBIDDEN,
            "This unsubscribe link was not issued by us or has been altered.",
        ),
        TokenError::Malformed | TokenError::UnknownVersion(_) => refused(
            StatusCode::BAD_REQUEST,
            "This unsubscribe link is incomplete or damaged. Please copy the whole link from the e-mail.",
        ),
    }
}

fn refused(status: StatusCode, reason: impl Into<String>) -> Page {
    Page::Refused {
        status,
        reason: reason.into(),
    }
}
