//! Query parameters of collection requests and cursor pagination: `page[size]` bounds,
//! opaque cursors (base64 of `next::id::<last id>`), absolute `links`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::errors::ApiError;

/// The decoded query string of a request.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes a raw query string.
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self { pairs }
    }

    /// The value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A comma list parameter (`include`, `fields[profile]`, …).
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        self.get(name)
            .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
    }

    /// Whether `additional-fields[<kind>]` asks for `field`.
    pub fn wants_additional(&self, kind: &str, field: &str) -> bool {
        self.list(&format!("additional-fields[{kind}]"))
            .is_some_and(|fields| fields.iter().any(|f| f == field))
    }

    /// `page[size]` within `1..=max`, `default` when absent; 400 otherwise.
    pub fn page_size(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        let Some(raw) = self.get("page[size]") else {
            return Ok(default);
        };
        match raw.parse::<usize>() {
            Ok(size) if (1..=max).contains(&size) => Ok(size),
            _ => Err(ApiError::invalid_parameter(
                "page[size]",
                format!("Page size must be an integer between 1 and {max}."),
            )),
        }
    }

    /// Refuses `page[size]` on endpoints without it.
    pub fn no_page_size(&self) -> Result<(), ApiError> {
        match self.get("page[size]") {
            Some(_) => Err(ApiError::invalid_parameter(
                "page[size]",
                "'page[size]' is not a valid parameter for this endpoint.",
            )),
            None => Ok(()),
        }
    }

    /// The id after which the page starts, from `page[cursor]`.
    pub fn cursor(&self) -> Result<Option<String>, ApiError> {
        self.get("page[cursor]").map(decode_cursor).transpose()
    }

    /// Refuses `sort` values the endpoint does not support.
    pub fn check_sort(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.get("sort") {
            Some(sort) if !allowed.contains(&sort) => Err(ApiError::invalid_parameter(
                "sort",
                format!("'{sort}' is not a valid sort option for this endpoint."),
            )),
            _ => Ok(()),
        }
    }

    /// The query re-encoded with `page[cursor]` replaced (or removed for `None`).
    fn with_cursor(&self, cursor: Option<&str>) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs.iter().filter(|(k, _)| k != "page[cursor]") {
            out.append_pair(k, v);
        }
        if let Some(cursor) = cursor {
            out.append_pair("page[cursor]", cursor);
        }
        out.finish()
    }
}

/// The cursor that continues after `last_id`.
pub fn encode_cursor(last_id: &str) -> String {
    STANDARD.encode(format!("next::id::{last_id}"))
}

fn decode_cursor(raw: &str) -> Result<String, ApiError> {
    let bytes = STANDARD
        .decode(raw.trim())
        .map_err(|_| ApiError::invalid_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| ApiError::invalid_cursor())?;
    text.strip_prefix("next::id::")
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .ok_or_else(ApiError::invalid_cursor)
}

/// Absolute `links` of a collection page: `self`, `next` (null on the last page), `prev`.
pub fn links(base: &str, path: &str, query: &Query, next_after: Option<&str>) -> Value {
    let url = |q: String| {
        if q.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{q}")
        }
    };
    let current = query.get("page[cursor]").map(str::to_owned);
    json!({
        "self": url(query.with_cursor(current.as_deref())),
        "next": next_after.map(|id| url(query.with_cursor(Some(&encode_cursor(id))))),
        "prev": Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_absolute_and_keeps_other_parameters() {
        let query = Query::parse(Some("page%5Bsize%5D=2&filter=equals(email,%22a%22)"));
        let links = links(
            "http://h",
            "/api/profiles/",
            &query,
            Some("01F3ZZNHNTX1KETHP32SS4A7FX"),
        );
        let next = links["next"].as_str().unwrap();
        assert!(next.starts_with("http://h/api/profiles/?page%5Bsize%5D=2&filter="));
        assert!(next.ends_with("page%5Bcursor%5D=bmV4dDo6aWQ6OjAxRjNaWk5ITlRYMUtFVEhQMzJTUzRBN0ZY"));
        let again = Query::parse(next.split_once('?').map(|(_, q)| q));
        assert_eq!(
            again.cursor().unwrap().as_deref(),
            Some("01F3ZZNHNTX1KETHP32SS4A7FX")
        );
    }

    #[test]
    fn bad_cursors_and_sizes_are_400() {
        let bad = Query::parse(Some("page[cursor]=%%%"));
        assert_eq!(bad.cursor().unwrap_err().detail, "Invalid cursor provided.");
        let size = Query::parse(Some("page[size]=101"));
        assert_eq!(size.page_size(20, 100).unwrap_err().status.as_u16(), 400);
        assert_eq!(Query::parse(None).page_size(20, 100).unwrap(), 20);
    }
}
