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
//! longer exists a 404; each gets a page and changes nothing. A failure of the store is a
//! 500 with a generic page; the detail goes to the log only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;

use super::ingest::noted;
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
    let outcome = if target.already_rejected {
        Ok(Recorded::Already)
    } else {
        reject(&state, target.customer, &target.category).await
    };
    // A repeat may have found the reject of a concurrent click that is not flushed yet:
    // it waits for the same group commit, so "you are unsubscribed" is always durable.
    let outcome = match outcome {
        Ok(recorded) => durable(&state, recorded).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(recorded) => {
            state.metrics().unsubscribe(match recorded {
                // Repeated clicks must not fire the consent-reject flow again.
                Recorded::Already => "already_rejected",
                Recorded::New(_) => "recorded",
            });
            Page::Done {
                category: target.category,
            }
        }
        Err(detail) => failed("record the unsubscribe", &detail),
    }
}

/// What a POST recorded.
#[derive(Debug, Clone, Copy)]
enum Recorded {
    /// The customer had rejected the category already (maybe a moment ago, by a concurrent
    /// click): nothing was written.
    Already,
    /// The reject was recorded at this event-log sequence.
    New(u64),
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
        Err(detail) => Err(failed("look up the link's subscriber", &detail)),
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

/// Records the consent reject unless the customer has rejected the category by now. The
/// check and the write happen under one lock per customer and category, so of concurrent
/// clicks on one link exactly one records (README: repeats record nothing).
async fn reject(
    state: &ServerState,
    customer: CustomerId,
    category: &str,
) -> Result<Recorded, String> {
    let worker = state.clone();
    let category = category.to_owned();
    tokio::task::spawn_blocking(move || {
        let store = worker.store();
        let _guard = worker.one_click_lock().lock(&(customer, category.as_str()));
        let current = store
            .consent_state(customer, &category)
            .map_err(|error| error.to_string())?;
        if current.is_some_and(|current| current.action == ConsentAction::Reject) {
            return Ok(Recorded::Already);
        }
        let event = Event::new("consent", Utc::now())
            .with("action", "reject")
            .with("category", category.as_str())
            .with("source", SOURCE);
        store
            .record_event(customer, &event)
            .map(Recorded::New)
            .map_err(|error| noted(&worker, error).message().to_owned())
    })
    .await
    .map_err(|join| join.to_string())?
}

/// Flushes (group commit) and wakes the engine for a new reject.
async fn durable(state: &ServerState, recorded: Recorded) -> Result<Recorded, String> {
    state
        .commit()
        .commit()
        .await
        .map_err(|error| noted(state, error).message().to_owned())?;
    state.store_health().record_success();
    if let Recorded::New(seq) = recorded {
        state.announce_events(seq + 1);
    }
    Ok(recorded)
}

/// The page for a failure on our side: the reader gets a generic message, the operator
/// the detail in the log (it names store paths and OS errors, never a secret).
fn failed(doing: &str, detail: &str) -> Page {
    tracing::error!(detail, "unsubscribe: could not {doing}");
    Page::Failed
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
