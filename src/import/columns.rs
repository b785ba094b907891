//! CSV columns of a Klaviyo export, recognised by header name (not position).

use std::collections::BTreeMap;

/// What a column feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The email address (hard ID; also the `email` property).
    Email,
    /// The Klaviyo profile id (hard ID).
    KlaviyoId,
    /// `Email Marketing Consent`: SUBSCRIBED / UNSUBSCRIBED / NEVER_SUBSCRIBED; also a property.
    Consent(String),
    /// `Email Marketing Consent Timestamp`: the time of the consent decision; also a property.
    ConsentTimestamp(String),
    /// A date column stored as an RFC 3339 property; a cell that is no date rejects the row.
    Date(String),
    /// A numeric Klaviyo column stored as a number when it parses, as text otherwise.
    Number(String),
    /// Any other column, stored as a text property.
    Text(String),
}

/// The columns of a file, in file order, with the header as written.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Per column: its header and role.
    pub columns: Vec<(String, Column)>,
}

const EMAIL: [&str; 2] = ["email", "email address"];
const KLAVIYO_ID: [&str; 3] = ["klaviyo id", "profile id", "klaviyo profile id"];
const CONSENT: [&str; 2] = ["email marketing consent", "consent"];
const CONSENT_TIMESTAMP: [&str; 2] = ["email marketing consent timestamp", "consent timestamp"];
const DATES: [&str; 7] = [
    "last open",
    "last click",
    "profile created on",
    "first active",
    "last active",
    "date added",
    "sms consent timestamp",
];
const NUMBERS: [&str; 8] = [
    "historic customer lifetime value",
    "total customer lifetime value",
    "predicted customer lifetime value",
    "average order value",
    "historic number of orders",
    "average days between orders",
    "latitude",
    "longitude",
];

impl Columns {
    /// Recognises headers; `mapping` renames properties (header → property name, headers
    /// compared without regard to case). Fails when no email column exists.
    pub fn from_headers<'a>(
        headers: impl IntoIterator<Item = &'a str>,
        mapping: &BTreeMap<String, String>,
    ) -> Result<Self, String> {
        let columns: Vec<(String, Column)> = headers
            .into_iter()
            .map(|header| (header.to_owned(), classify(header, mapping)))
            .collect();
        if !columns.iter().any(|(_, c)| *c == Column::Email) {
            let found: Vec<&str> = columns.iter().map(|(h, _)| h.as_str()).collect();
            return Err(format!(
                "no `Email` column (found: {})",
                if found.is_empty() {
                    "no header".to_owned()
                } else {
                    found.join(", ")
                }
            ));
        }
        duplicates(&columns)?;
        Ok(Self { columns })
    }
}

/// Two columns feeding the same thing (two `Email` columns, `Last Open` and `last_open`)
/// would let the last one win silently: refused, naming both.
fn duplicates(columns: &[(String, Column)]) -> Result<(), String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (index, (header, column)) in columns.iter().enumerate() {
        // Spreadsheets leave unnamed columns after trailing commas; they are not duplicates.
        if header.trim_start_matches('\u{feff}').trim().is_empty() {
            continue;
        }
        let target = match column {
            Column::Email => "the email address".to_owned(),
            Column::KlaviyoId => "the Klaviyo profile id".to_owned(),
            Column::Consent(name)
            | Column::ConsentTimestamp(name)
            | Column::Date(name)
            | Column::Number(name)
            | Column::Text(name) => format!("the property `{name}`"),
        };
        if let Some(&first) = seen.get(&target) {
            return Err(format!(
                "columns {} (`{}`) and {} (`{}`) both give {target}; keep one",
                first + 1,
                columns[first].0.trim_start_matches('\u{feff}'),
                index + 1,
                header
            ));
        }
        seen.insert(target, index);
    }
    Ok(())
}

fn classify(header: &str, mapping: &BTreeMap<String, String>) -> Column {
    // Byte-order marks and surrounding spaces are common in spreadsheet exports.
    let key = header.trim_start_matches('\u{feff}').trim().to_lowercase();
    let property = mapping
        .iter()
        .find(|(column, _)| column.trim().to_lowercase() == key)
        .map(|(_, property)| property.clone())
        .unwrap_or_else(|| snake_case(&key));
    let is = |names: &[&str]| names.contains(&key.as_str());
    if is(&EMAIL) {
        Column::Email
    } else if is(&KLAVIYO_ID) {
        Column::KlaviyoId
    } else if is(&CONSENT) {
        Column::Consent(property)
    } else if is(&CONSENT_TIMESTAMP) {
        Column::ConsentTimestamp(property)
    } else if is(&DATES) || key.ends_with(" timestamp") {
        Column::Date(property)
    } else if is(&NUMBERS) {
        Column::Number(property)
    } else {
        Column::Text(property)
    }
}

/// A property name from a header: lower case, runs of other characters become `_`
/// (`Last Open` → `last_open`, `State / Region` → `state_region`, `$consent_method` →
/// `consent_method`).
pub fn snake_case(header: &str) -> String {
    let mut name = String::with_capacity(header.len());
    for c in header.trim().chars() {
        if c.is_alphanumeric() {
            name.extend(c.to_lowercase());
        } else if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
    }
    while name.ends_with('_') {
        name.pop();
    }
    if name.is_empty() {
        "column".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_become_snake_case_properties() {
        assert_eq!(snake_case("Last Open"), "last_open");
        assert_eq!(snake_case("State / Region"), "state_region");
        assert_eq!(snake_case("$consent_method"), "consent_method");
        assert_eq!(snake_case("Zip Code "), "zip_code");
    }

    #[test]
    fn headers_are_recognised_by_name_and_mapping_renames() {
        let mapping = BTreeMap::from([("phone number".to_owned(), "klaviyo_phone".to_owned())]);
        let columns = Columns::from_headers(
            [
                "Profile ID",
                "Phone Number",
                "\u{feff}Email",
                "Last Click",
                "Average Order Value",
            ],
            &mapping,
        )
        .unwrap();
        let roles: Vec<_> = columns.columns.into_iter().map(|(_, c)| c).collect();
        assert_eq!(
            roles,
            [
                Column::KlaviyoId,
                Column::Text("klaviyo_phone".into()),
                Column::Email,
                Column::Date("last_click".into()),
                Column::Number("average_order_value".into()),
            ]
        );
    }

    #[test]
    fn a_column_written_twice_is_refused_naming_both() {
        let error =
            Columns::from_headers(["Email", "Name", "email"], &BTreeMap::new()).unwrap_err();
        assert_eq!(
            error,
            "columns 1 (`Email`) and 3 (`email`) both give the email address; keep one"
        );
        let error = Columns::from_headers(["Email", "Last Open", "last_open"], &BTreeMap::new())
            .unwrap_err();
        assert!(error.contains("the property `last_open`"), "{error}");
    }

    #[test]
    fn a_file_without_email_column_is_refused_naming_the_headers() {
        let error = Columns::from_headers(["Name", "Phone"], &BTreeMap::new()).unwrap_err();
        assert_eq!(error, "no `Email` column (found: Name, Phone)");
    }
}
