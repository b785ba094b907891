//! The endpoints of the fake Klaviyo server, validating bodies as Klaviyo does.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::fake_klaviyo::{error, ok, ApiState};

pub fn route(
    state: &ApiState,
    method: &Method,
    path: &str,
    body: &Value,
) -> Result<Response, String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["api", "profiles"]) => create_profile(state, body),
        ("POST" | "DELETE", ["api", "lists", list, "relationships", "profiles"]) => {
            let ids = profile_ids(body)?;
            let mut lists = state.list_members.lock().unwrap();
            let members = lists.entry((*list).to_owned()).or_default();
            for id in ids {
                if method == Method::POST {
                    members.insert(id);
                } else {
                    members.remove(&id);
                }
            }
            Ok(ok(StatusCode::NO_CONTENT, None))
        }
        ("POST", ["api", "profile-subscription-bulk-create-jobs"]) => job(
            body,
            "profile-subscription-bulk-create-job",
            1000,
            "SUBSCRIBED",
        ),
        ("POST", ["api", "profile-subscription-bulk-delete-jobs"]) => job(
            body,
            "profile-subscription-bulk-delete-job",
            100,
            "UNSUBSCRIBED",
        ),
        _ => Ok(error(
            404,
            "not_found",
            "Not found.",
            "No valid revisions found for method",
        )),
    }
}

fn create_profile(state: &ApiState, body: &Value) -> Result<Response, String> {
    if body.pointer("/data/type") != Some(&json!("profile")) {
        return Err("`data.type` must be `profile`.".into());
    }
    let email = body
        .pointer("/data/attributes/email")
        .and_then(Value::as_str)
        .ok_or("`data.attributes.email` is required.")?;
    let mut profiles = state.profiles_by_email.lock().unwrap();
    if let Some(existing) = profiles.get(email) {
        let mut response = error(
            409,
            "duplicate_profile",
            "Conflict.",
            "A profile already exists with one of these identifiers.",
        );
        let body = json!({"errors":[{"id": uuid::Uuid::new_v4().to_string(), "status": 409,
            "code": "duplicate_profile", "title": "Conflict.",
            "detail": "A profile already exists with one of these identifiers.",
            "source": {"pointer": "/data/attributes"}, "links": {},
            "meta": {"duplicate_profile_id": existing}}]});
        *response.body_mut() = axum::body::Body::from(body.to_string());
        return Ok(response);
    }
    let id = ulid::Ulid::new().to_string();
    profiles.insert(email.to_owned(), id.clone());
    let attributes = body
        .pointer("/data/attributes")
        .cloned()
        .unwrap_or_default();
    let data = json!({"data": {"type": "profile", "id": id, "attributes": attributes,
        "links": {"self": format!("https://a.klaviyo.com/api/profiles/{id}/")}}});
    Ok(ok(StatusCode::CREATED, Some(data)))
}

fn profile_ids(body: &Value) -> Result<Vec<String>, String> {
    let data = body
        .get("data")
        .and_then(Value::as_array)
        .ok_or("`data` must be a list.")?;
    if data.is_empty() || data.len() > 1000 {
        return Err(format!(
            "`data` holds {} profiles; 1 to 1000 allowed.",
            data.len()
        ));
    }
    data.iter()
        .map(
            |entry| match (entry.get("type"), entry.get("id").and_then(Value::as_str)) {
                (Some(kind), Some(id))
                    if kind == "profile" && entry.as_object().map_or(0, |o| o.len()) == 2 =>
                {
                    Ok(id.to_owned())
                }
                _ => Err(format!("Invalid profile entry {entry}.")),
            },
        )
        .collect()
}

fn job(body: &Value, kind: &str, max: usize, consent: &str) -> Result<Response, String> {
    if body.pointer("/data/type") != Some(&json!(kind)) {
        return Err(format!("`data.type` must be `{kind}`."));
    }
    let profiles = body
        .pointer("/data/attributes/profiles/data")
        .and_then(Value::as_array)
        .ok_or("`data.attributes.profiles.data` must be a list.")?;
    if profiles.is_empty() || profiles.len() > max {
        return Err(format!("{} profiles; 1 to {max} allowed.", profiles.len()));
    }
    for profile in profiles {
        let email = profile.pointer("/attributes/email").and_then(Value::as_str);
        let given = profile.pointer("/attributes/subscriptions/email/marketing/consent");
        if profile.get("type") != Some(&json!("profile"))
            || email.is_none()
            || given != Some(&json!(consent))
        {
            return Err(format!("Invalid profile {profile}."));
        }
    }
    if let Some(list) = body.pointer("/data/relationships/list/data") {
        if list.get("type") != Some(&json!("list")) || !list.get("id").is_some_and(Value::is_string)
        {
            return Err("Invalid list relationship.".into());
        }
    }
    Ok(ok(StatusCode::ACCEPTED, None))
}
