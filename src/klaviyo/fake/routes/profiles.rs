//! `/api/profiles` (list, get, create, update) and `/api/profile-import`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde_json::{json, Map, Value};

use super::{body, is_e164, text_attribute};
use crate::klaviyo::fake::errors::ApiError;
use crate::klaviyo::fake::filter::{self, Allowed, Condition, Kind, Op};
use crate::klaviyo::fake::model::Profile;
use crate::klaviyo::fake::pagination::{links, Query};
use crate::klaviyo::fake::render;
use crate::klaviyo::fake::server::{document, App};
use crate::klaviyo::fake::state::FakeState;

const IDS: &[Op] = &[Op::Equals, Op::Any];
const TIMES: &[Op] = &[Op::GreaterThan, Op::LessThan];
const SUPPRESSION: &str = "subscriptions.email.marketing.suppression";
const LIST_SUPPRESSIONS: &str = "subscriptions.email.marketing.list_suppressions";

/// Filters of GET /api/profiles.
const FILTERS: &[Allowed] = &[
    ("id", Kind::Text, IDS),
    ("email", Kind::Text, IDS),
    ("phone_number", Kind::Text, IDS),
    ("external_id", Kind::Text, IDS),
    ("created", Kind::Time, TIMES),
    ("updated", Kind::Time, TIMES),
    (
        "subscriptions.email.marketing.suppression.reason",
        Kind::Text,
        &[Op::Equals],
    ),
    (
        "subscriptions.email.marketing.suppression.timestamp",
        Kind::Time,
        TIMES,
    ),
    (
        "subscriptions.email.marketing.list_suppressions.reason",
        Kind::Text,
        &[Op::Equals],
    ),
    (
        "subscriptions.email.marketing.list_suppressions.timestamp",
        Kind::Time,
        TIMES,
    ),
    (
        "subscriptions.email.marketing.list_suppressions.list_id",
        Kind::Text,
        &[Op::Equals],
    ),
];

/// Whether a profile satisfies one condition of [`FILTERS`].
fn matches(p: &Profile, c: &Condition) -> bool {
    let email = &p.email_marketing;
    let suppressed = |list: &[crate::klaviyo::fake::model::Suppression], field: &str| {
        list.iter().any(|s| match field {
            "reason" => c.matches_text(Some(&s.reason)),
            "timestamp" => c.matches_time(s.timestamp),
            _ => c.matches_text(s.list_id.as_deref()),
        })
    };
    match c.field.as_str() {
        "id" => c.matches_text(Some(&p.id)),
        "email" => c.matches_text(p.email.as_deref()),
        "phone_number" => c.matches_text(p.phone_number.as_deref()),
        "external_id" => c.matches_text(p.external_id.as_deref()),
        "created" => c.matches_time(p.created),
        "updated" => c.matches_time(p.updated),
        f => match f.rsplit_once('.') {
            Some((SUPPRESSION, field)) => suppressed(&email.suppression, field),
            Some((LIST_SUPPRESSIONS, field)) => suppressed(&email.list_suppressions, field),
            _ => false,
        },
    }
}

/// GET /api/profiles
pub async fn list(State(app): State<App>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let size = query.page_size(20, 100)?;
    query.check_sort(&["id", "created"])?;
    let conditions = match query.get("filter") {
        Some(text) => filter::parse(text, FILTERS)?,
        None => Vec::new(),
    };
    let after = query.cursor()?;
    let subscriptions = query.wants_additional("profile", "subscriptions");
    let fields = query.list("fields[profile]");
    let state = app.state();
    let start = match &after {
        Some(id) => state
            .profiles
            .partition_point(|p| p.id.as_str() <= id.as_str()),
        None => 0,
    };
    let mut hits = state.profiles[start..]
        .iter()
        .filter(|p| conditions.iter().all(|c| matches(p, c)));
    let page: Vec<&Profile> = hits.by_ref().take(size).collect();
    let more = page.len() == size && hits.next().is_some();
    let data: Vec<Value> = page
        .iter()
        .map(|p| render::profile(app.base(), p, subscriptions, fields.as_deref()))
        .collect();
    let next = more.then(|| page.last().map(|p| p.id.as_str())).flatten();
    let links = links(app.base(), "/api/profiles/", &query, next);
    Ok(document(
        StatusCode::OK,
        json!({"data": data, "links": links}),
    ))
}

/// GET /api/profiles/{id}
pub async fn one(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let state = app.state();
    let profile = state.profile(&id).ok_or_else(|| not_found(&id))?;
    let subscriptions = query.wants_additional("profile", "subscriptions");
    let fields = query.list("fields[profile]");
    let data = render::profile(app.base(), profile, subscriptions, fields.as_deref());
    Ok(document(
        StatusCode::OK,
        json!({"data": data, "links": {"self": format!("{}/api/profiles/{id}/", app.base())}}),
    ))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("A profile with id {id} does not exist."))
}

/// POST /api/profiles → 201, or 409 `duplicate_profile`.
pub async fn create(State(app): State<App>, bytes: Bytes) -> Result<Response, ApiError> {
    let value = body(&bytes, "profile")?;
    let attributes = &value["data"]["attributes"];
    let mut state = app.state();
    let index = create_profile(&mut state, attributes)?;
    let data = render::profile(app.base(), &state.profiles[index], false, None);
    Ok(document(StatusCode::CREATED, json!({"data": data})))
}

/// Creates a profile from attributes after checking identifiers.
pub(crate) fn create_profile(state: &mut FakeState, attributes: &Value) -> Result<usize, ApiError> {
    let (email, phone, external) = identifiers(attributes)?;
    if email.is_none() && phone.is_none() && external.is_none() {
        return Err(ApiError::invalid_pointer(
            "/data/attributes",
            "One of email, phone_number or external_id is required.",
        ));
    }
    if let Some(duplicate) = state.duplicate_of(email, phone, external, None) {
        return Err(ApiError::duplicate_profile(&duplicate.0));
    }
    let mut profile = Profile::new(String::new(), Utc::now());
    apply_attributes(&mut profile, attributes)?;
    Ok(state.insert_profile(profile))
}

/// (email, phone number, external id) of a body.
type Ids<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

fn identifiers(a: &Value) -> Result<Ids<'_>, ApiError> {
    let pointer = "/data/attributes";
    let phone = text_attribute(a, "phone_number", pointer)?;
    if let Some(phone) = phone.filter(|p| !is_e164(p)) {
        return Err(ApiError::invalid_pointer(
            "/data/attributes/phone_number",
            format!(
                "Invalid phone number format '{phone}' (Example of a valid format: +12345678901)"
            ),
        ));
    }
    Ok((
        text_attribute(a, "email", pointer)?,
        phone,
        text_attribute(a, "external_id", pointer)?,
    ))
}

const TEXT_FIELDS: &[&str] = &[
    "email",
    "phone_number",
    "external_id",
    "first_name",
    "last_name",
    "organization",
    "title",
    "locale",
];

/// Applies the attributes present: a value sets, `null` clears, absence keeps.
fn apply_attributes(profile: &mut Profile, attributes: &Value) -> Result<(), ApiError> {
    for &name in TEXT_FIELDS {
        if attributes.get(name).is_none() {
            continue;
        }
        let value = text_attribute(attributes, name, "/data/attributes")?.map(str::to_owned);
        let slot = match name {
            "email" => &mut profile.email,
            "phone_number" => &mut profile.phone_number,
            "external_id" => &mut profile.external_id,
            "first_name" => &mut profile.first_name,
            "last_name" => &mut profile.last_name,
            "organization" => &mut profile.organization,
            "title" => &mut profile.title,
            _ => &mut profile.locale,
        };
        *slot = value;
    }
    if let Some(location) = attributes.get("location") {
        profile.location = location.clone();
    }
    match attributes.get("properties") {
        None | Some(Value::Null) => {}
        Some(Value::Object(props)) => merge(&mut profile.properties, props),
        Some(_) => {
            return Err(ApiError::invalid_pointer(
                "/data/attributes/properties",
                "'properties' must be an object.",
            ))
        }
    }
    Ok(())
}

fn merge(target: &mut Map<String, Value>, changes: &Map<String, Value>) {
    for (key, value) in changes {
        target.insert(key.clone(), value.clone());
    }
}

/// `meta.patch_properties`: `append`, `unappend`, `unset`.
fn patch_properties(properties: &mut Map<String, Value>, patch: &Value) {
    for (key, value) in patch["append"].as_object().into_iter().flatten() {
        let slot = properties.entry(key.clone()).or_insert_with(|| json!([]));
        if !slot.is_array() {
            *slot = json!([slot.clone()]);
        }
        if let Value::Array(items) = slot {
            items.push(value.clone());
        }
    }
    for (key, value) in patch["unappend"].as_object().into_iter().flatten() {
        if let Some(Value::Array(items)) = properties.get_mut(key) {
            items.retain(|item| item != value);
        }
    }
    let unset: Vec<String> = match &patch["unset"] {
        Value::String(key) => vec![key.clone()],
        Value::Array(keys) => keys
            .iter()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    for key in unset {
        properties.remove(&key);
    }
}

/// PATCH /api/profiles/{id} → 200 with the full profile.
pub async fn update(
    State(app): State<App>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let value = body(&bytes, "profile")?;
    let data = &value["data"];
    if data["id"].as_str() != Some(id.as_str()) {
        return Err(ApiError::invalid_pointer(
            "/data/id",
            "The id in the body must match the id in the URL.",
        ));
    }
    let mut state = app.state();
    let index = state.profile_index(&id).ok_or_else(|| not_found(&id))?;
    update_profile(&mut state, index, &data["attributes"], &data["meta"])?;
    let data = render::profile(app.base(), &state.profiles[index], false, None);
    Ok(document(StatusCode::OK, json!({"data": data})))
}

fn update_profile(
    state: &mut FakeState,
    index: usize,
    attributes: &Value,
    meta: &Value,
) -> Result<(), ApiError> {
    let (email, phone, external) = identifiers(attributes)?;
    if let Some(duplicate) = state.duplicate_of(email, phone, external, Some(index)) {
        return Err(ApiError::duplicate_profile(&duplicate.0));
    }
    let profile = &state.profiles[index];
    let before = (
        profile.email.clone(),
        profile.phone_number.clone(),
        profile.external_id.clone(),
    );
    let profile = &mut state.profiles[index];
    apply_attributes(profile, attributes)?;
    patch_properties(&mut profile.properties, &meta["patch_properties"]);
    profile.updated = Utc::now();
    state.reindex(index, Some(before));
    Ok(())
}

/// POST /api/profile-import: update the profile `data.id` or an identifier names (200), or
/// create one (201).
pub async fn import(State(app): State<App>, bytes: Bytes) -> Result<Response, ApiError> {
    let value = body(&bytes, "profile")?;
    let data = &value["data"];
    let attributes = &data["attributes"];
    let mut state = app.state();
    let (email, phone, external) = identifiers(attributes)?;
    let existing = match data["id"].as_str() {
        Some(id) => Some(state.profile_index(id).ok_or_else(|| not_found(id))?),
        None => email
            .and_then(|e| state.index_by_email(e))
            .or_else(|| phone.and_then(|p| state.index_by_phone(p)))
            .or_else(|| {
                external.and_then(|x| {
                    state
                        .profiles
                        .iter()
                        .position(|p| p.external_id.as_deref() == Some(x))
                })
            }),
    };
    let (index, status) = match existing {
        Some(index) => {
            update_profile(&mut state, index, attributes, &Value::Null)?;
            (index, StatusCode::OK)
        }
        None => (create_profile(&mut state, attributes)?, StatusCode::CREATED),
    };
    let data = render::profile(app.base(), &state.profiles[index], false, None);
    Ok(document(status, json!({"data": data})))
}
