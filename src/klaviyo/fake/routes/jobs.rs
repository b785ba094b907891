//! Bulk subscribe / unsubscribe jobs: checked when posted (202, empty body), applied now,
//! later, or when the test says so (see [`JobMode`]).
//!
//! Subscribing with a single opt-in list (or `historical_import`) subscribes, joins the list
//! and records `Subscribed to List`; a double opt-in list, or no list (the account default is
//! double opt-in), leaves consent unchanged until a confirmation the fake never sends.
//! Unsubscribing a member of the given list removes it from the list with a list suppression
//! and `Unsubscribed from List`; anyone else is unsubscribed globally with an `UNSUBSCRIBE`
//! suppression and `Unsubscribed from Email Marketing`. SMS records `Unsubscribed from SMS`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::body;
use crate::klaviyo::fake::config::JobMode;
use crate::klaviyo::fake::errors::ApiError;
use crate::klaviyo::fake::model::{Consent, EventDetail, OptInProcess, Profile, Suppression};
use crate::klaviyo::fake::server::App;
use crate::klaviyo::fake::state::FakeState;

/// Most profiles per subscribe job.
pub const MAX_SUBSCRIBE: usize = 1000;
/// Most profiles per unsubscribe job.
pub const MAX_UNSUBSCRIBE: usize = 100;

/// One profile of a job.
#[derive(Debug, Clone)]
pub struct JobProfile {
    id: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    email_marketing: bool,
    sms_marketing: bool,
    consented_at: Option<DateTime<Utc>>,
}

/// An accepted job.
#[derive(Debug, Clone)]
pub struct Job {
    subscribe: bool,
    list: Option<usize>,
    custom_source: Option<String>,
    historical: bool,
    profiles: Vec<JobProfile>,
}

/// POST /api/profile-subscription-bulk-create-jobs → 202.
pub async fn subscribe(State(app): State<App>, bytes: Bytes) -> Result<Response, ApiError> {
    let job = parse_job(&app, &bytes, true)?;
    accept(&app, job);
    Ok(StatusCode::ACCEPTED.into_response())
}

/// POST /api/profile-subscription-bulk-delete-jobs → 202.
pub async fn unsubscribe(State(app): State<App>, bytes: Bytes) -> Result<Response, ApiError> {
    let job = parse_job(&app, &bytes, false)?;
    accept(&app, job);
    Ok(StatusCode::ACCEPTED.into_response())
}

fn accept(app: &App, job: Job) {
    match app.jobs() {
        JobMode::Immediate => apply(&mut app.state(), &job),
        JobMode::Manual => app.state().pending_jobs.push(job),
        JobMode::Delayed(delay) => {
            app.state().pending_jobs.push(job);
            app.later(delay, apply_pending);
        }
    }
}

/// Applies every pending job in order.
pub fn apply_pending(app: &App) {
    let mut state = app.state();
    let jobs = std::mem::take(&mut state.pending_jobs);
    for job in &jobs {
        apply(&mut state, job);
    }
}

fn parse_job(app: &App, bytes: &Bytes, subscribe: bool) -> Result<Job, ApiError> {
    let kind = if subscribe {
        "profile-subscription-bulk-create-job"
    } else {
        "profile-subscription-bulk-delete-job"
    };
    let value = body(bytes, kind)?;
    let data = &value["data"];
    let attributes = &data["attributes"];
    let historical = attributes["historical_import"].as_bool().unwrap_or(false);
    let list =
        match data["relationships"]["list"]["data"]["id"].as_str() {
            Some(id) => Some(app.state().list_index(id).ok_or_else(|| {
                ApiError::not_found(format!("A list with id {id} does not exist."))
            })?),
            None => None,
        };
    let items = attributes["profiles"]["data"].as_array().ok_or_else(|| {
        ApiError::invalid_pointer("/data/attributes/profiles/data", "'data' must be an array.")
    })?;
    let max = if subscribe {
        MAX_SUBSCRIBE
    } else {
        MAX_UNSUBSCRIBE
    };
    if items.len() > max {
        return Err(ApiError::invalid_pointer(
            "/data/attributes/profiles/data",
            format!("At most {max} profiles may be given per job."),
        ));
    }
    let profiles = items
        .iter()
        .enumerate()
        .map(|(n, item)| parse_profile(n, item, subscribe, historical))
        .collect::<Result<_, _>>()?;
    Ok(Job {
        subscribe,
        list,
        custom_source: attributes["custom_source"].as_str().map(str::to_owned),
        historical,
        profiles,
    })
}

fn parse_profile(
    n: usize,
    item: &Value,
    subscribe: bool,
    historical: bool,
) -> Result<JobProfile, ApiError> {
    let pointer = format!("/data/attributes/profiles/data/{n}/attributes");
    if item["type"] != "profile" {
        return Err(ApiError::invalid_pointer(
            &format!("/data/attributes/profiles/data/{n}/type"),
            "Invalid type. Expected 'profile'.",
        ));
    }
    let a = &item["attributes"];
    let expected = if subscribe {
        "SUBSCRIBED"
    } else {
        "UNSUBSCRIBED"
    };
    let channel = |path: [&str; 2]| -> Result<Option<&Value>, ApiError> {
        let marketing = &a["subscriptions"][path[0]][path[1]];
        if marketing.is_null() {
            return Ok(None);
        }
        if marketing["consent"] != expected {
            return Err(ApiError::invalid_pointer(
                &format!("{pointer}/subscriptions/{}/{}/consent", path[0], path[1]),
                format!("'consent' must be '{expected}'."),
            ));
        }
        Ok(Some(marketing))
    };
    let email = channel(["email", "marketing"])?;
    let sms = channel(["sms", "marketing"])?;
    let phone = a["phone_number"].as_str().map(str::to_owned);
    if sms.is_some() && phone.is_none() {
        return Err(ApiError::invalid_pointer(
            &format!("{pointer}/phone_number"),
            "'phone_number' must not be empty when the sms channel is included in 'subscriptions'.",
        ));
    }
    let consented_at = email.or(sms).and_then(|m| m["consented_at"].as_str());
    let consented_at = match (consented_at, historical) {
        (Some(_), false) => {
            return Err(ApiError::invalid_pointer(
                &format!("{pointer}/subscriptions"),
                "'consented_at' is only allowed when 'historical_import' is true.",
            ))
        }
        (Some(text), true) => Some(
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| {
                    ApiError::invalid_pointer(&pointer, "'consented_at' must be a datetime.")
                })?
                .with_timezone(&Utc),
        ),
        (None, true) if subscribe => {
            return Err(ApiError::invalid_pointer(
                &format!("{pointer}/subscriptions"),
                "'consented_at' is required when 'historical_import' is true.",
            ))
        }
        (None, _) => None,
    };
    Ok(JobProfile {
        id: item["id"].as_str().map(str::to_owned),
        email: a["email"].as_str().map(str::to_owned),
        phone,
        email_marketing: email.is_some(),
        sms_marketing: sms.is_some(),
        consented_at,
    })
}

fn find(state: &FakeState, p: &JobProfile) -> Option<usize> {
    p.id.as_deref()
        .and_then(|id| state.profile_index(id))
        .or_else(|| p.email.as_deref().and_then(|e| state.index_by_email(e)))
        .or_else(|| p.phone.as_deref().and_then(|ph| state.index_by_phone(ph)))
}

fn apply(state: &mut FakeState, job: &Job) {
    for p in &job.profiles {
        if job.subscribe {
            subscribe_one(state, job, p);
        } else if let Some(index) = find(state, p) {
            unsubscribe_one(state, job, p, index);
        }
    }
}

fn subscribe_one(state: &mut FakeState, job: &Job, p: &JobProfile) {
    let now = Utc::now();
    let index = match find(state, p) {
        Some(index) => index,
        None => {
            let mut profile = Profile::new(String::new(), now);
            profile.email = p.email.clone();
            profile.phone_number = p.phone.clone();
            state.insert_profile(profile)
        }
    };
    let single = job.historical
        || job
            .list
            .is_some_and(|l| state.lists[l].opt_in_process == OptInProcess::SingleOptIn);
    if !single {
        return;
    }
    let at = p.consented_at.unwrap_or(now);
    let profile = &mut state.profiles[index];
    if p.email_marketing {
        let email = &mut profile.email_marketing;
        email.consent = Consent::Subscribed;
        email.consent_timestamp = Some(at);
        email.last_updated = Some(now);
        email.method = Some("API".into());
        email.custom_method_detail = job.custom_source.clone();
        email.suppression.retain(|s| {
            !matches!(
                s.reason.as_str(),
                "UNSUBSCRIBE" | "SPAM_REPORT" | "USER_SUPPRESSED"
            )
        });
        if let Some(l) = job.list {
            let list_id = state.lists[l].id.clone();
            let email = &mut state.profiles[index].email_marketing;
            email
                .list_suppressions
                .retain(|s| s.list_id.as_deref() != Some(&list_id));
        }
    }
    if p.sms_marketing {
        let sms = &mut state.profiles[index].sms_marketing;
        sms.consent = Consent::Subscribed;
        sms.consent_timestamp = Some(at);
        sms.last_updated = Some(now);
        sms.method = Some("API".into());
        state.push_event(index, "Consented to Receive SMS", EventDetail::Plain, now);
    }
    state.profiles[index].updated = now;
    if let Some(l) = job.list {
        let id = state.profiles[index].id.clone();
        if let std::collections::btree_map::Entry::Vacant(slot) = state.lists[l].members.entry(id) {
            slot.insert(now);
            state.push_event(
                index,
                "Subscribed to List",
                EventDetail::List(l as u16),
                now,
            );
        }
    }
}

fn unsubscribe_one(state: &mut FakeState, job: &Job, p: &JobProfile, index: usize) {
    let now = Utc::now();
    let id = state.profiles[index].id.clone();
    if p.email_marketing {
        let member_of = job
            .list
            .filter(|&l| state.lists[l].members.contains_key(&id));
        if let Some(l) = member_of {
            state.lists[l].members.remove(&id);
            let list_id = state.lists[l].id.clone();
            let email = &mut state.profiles[index].email_marketing;
            email.list_suppressions.push(Suppression {
                reason: "UNSUBSCRIBE".into(),
                timestamp: now,
                list_id: Some(list_id),
            });
            state.push_event(
                index,
                "Unsubscribed from List",
                EventDetail::List(l as u16),
                now,
            );
        } else {
            let email = &mut state.profiles[index].email_marketing;
            email.consent = Consent::Unsubscribed;
            email.last_updated = Some(now);
            email.method = Some("API".into());
            email.suppression.push(Suppression {
                reason: "UNSUBSCRIBE".into(),
                timestamp: now,
                list_id: None,
            });
            state.push_event(
                index,
                "Unsubscribed from Email Marketing",
                EventDetail::Plain,
                now,
            );
        }
    }
    if p.sms_marketing {
        let sms = &mut state.profiles[index].sms_marketing;
        sms.consent = Consent::Unsubscribed;
        sms.last_updated = Some(now);
        state.push_event(index, "Unsubscribed from SMS", EventDetail::Plain, now);
    }
    state.profiles[index].updated = now;
}
