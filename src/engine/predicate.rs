//! Evaluates compiled predicates against a customer, the store and the run's context.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use super::context::RunContext;
use super::customers::{CustomerAccess, CustomerView, EventMatch};
use super::step::{StepFailure, StepResult};
use crate::scenario::compiled::{EventTest, Predicate, PropertyTest, TimeRef};

/// Everything a predicate may look at.
pub struct Evaluation<'a> {
    /// The customer source.
    pub access: &'a dyn CustomerAccess,
    /// The run.
    pub run: &'a RunContext,
    /// The template environment.
    pub env: &'a minijinja::Environment<'static>,
    /// Evaluation time.
    pub now: DateTime<Utc>,
}

impl Evaluation<'_> {
    /// Whether the predicate holds for the customer.
    pub fn holds(
        &self,
        predicate: &Predicate,
        customer: &CustomerView,
        event: Option<&Value>,
    ) -> StepResult<bool> {
        Ok(match predicate {
            Predicate::All(items) => {
                for item in items {
                    if !self.holds(item, customer, event)? {
                        return Ok(false);
                    }
                }
                true
            }
            Predicate::Any(items) => {
                for item in items {
                    if self.holds(item, customer, event)? {
                        return Ok(true);
                    }
                }
                false
            }
            Predicate::Not(inner) => !self.holds(inner, customer, event)?,
            Predicate::Property { name, tests } => {
                let value = customer.value(name);
                tests
                    .iter()
                    .all(|test| property_test(test, value.as_ref(), self.now))
            }
            Predicate::Consent(category) => {
                self.access.consent_valid(customer.id, category, self.now)?
            }
            Predicate::Segment { predicate, .. } => self.holds(predicate, customer, event)?,
            Predicate::Event(test) => self.event_test(test, customer, event)?,
            Predicate::MailboxProvider(groups) => {
                let group = self.run.provider_of(customer);
                groups.contains(&group)
            }
            Predicate::Expr(expression) => {
                let context = self.run.customer_context(customer, event, self.now);
                crate::template::evaluate(self.env, expression, &context)
                    .map_err(|e| StepFailure::Customer(e.to_string()))?
                    .is_true()
            }
            Predicate::KlaviyoMember { group, id } => {
                self.member_of(*group, id, customer, event)?
            }
        })
    }

    fn event_test(
        &self,
        test: &EventTest,
        customer: &CustomerView,
        event: Option<&Value>,
    ) -> StepResult<bool> {
        let mut filter = BTreeMap::new();
        for (name, values) in &test.filter {
            let mut rendered = Vec::with_capacity(values.len());
            for value in values {
                rendered.push(self.render_value(value, customer, event)?);
            }
            let value = if rendered.len() == 1 {
                rendered.remove(0)
            } else {
                Value::Array(rendered)
            };
            filter.insert(name.clone(), value);
        }
        // Windows are bounded at compile time; a window past the calendar means "ever".
        let since = test
            .within
            .and_then(|w| chrono::Duration::from_std(w).ok())
            .and_then(|w| self.now.checked_sub_signed(w));
        let query = EventMatch {
            event_type: test.event_type.clone(),
            filter,
            since,
            until: None,
        };
        let limit = match test.max {
            Some(max) => u64::from(max) + 1,
            None => u64::from(test.min.max(1)),
        };
        let count = self.access.count_events(customer.id, &query, limit)?;
        Ok(count >= u64::from(test.min) && test.max.is_none_or(|max| count <= u64::from(max)))
    }

    /// Renders a string value that is a template; other values pass unchanged.
    pub fn render_value(
        &self,
        value: &Value,
        customer: &CustomerView,
        event: Option<&Value>,
    ) -> StepResult<Value> {
        match value {
            Value::String(text) if crate::template::is_template(text) => {
                let context = self.run.customer_context(customer, event, self.now);
                crate::template::render(self.env, text, &context)
                    .map(Value::String)
                    .map_err(|e| StepFailure::Customer(e.to_string()))
            }
            other => Ok(other.clone()),
        }
    }
}

/// Whether properties satisfy a filter (a value means equal, a list means any of; numbers
/// compare by value and a string spelling a number matches it).
pub fn filter_matches(filter: &BTreeMap<String, Value>, properties: &Map<String, Value>) -> bool {
    filter.iter().all(|(name, wanted)| {
        let Some(actual) = properties.get(name) else {
            return false;
        };
        match wanted {
            Value::Array(options) => options.iter().any(|o| loosely_equal(o, actual)),
            wanted => loosely_equal(wanted, actual),
        }
    })
}

/// Equality that forgives the types templates and CSV imports produce.
pub fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            s.trim().parse::<f64>().ok() == n.as_f64()
        }
        (Value::String(s), Value::Bool(flag)) | (Value::Bool(flag), Value::String(s)) => {
            s == if *flag { "true" } else { "false" }
        }
        _ => a == b,
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parses a date-time property: RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC) or a date.
pub fn instant(value: &Value) -> Option<DateTime<Utc>> {
    let text = value.as_str()?.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

fn present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

fn property_test(test: &PropertyTest, value: Option<&Value>, now: DateTime<Utc>) -> bool {
    let resolve = |at: &TimeRef| match at {
        TimeRef::Absolute(at) => *at,
        TimeRef::Ago(ago) => chrono::Duration::from_std(*ago)
            .ok()
            .and_then(|ago| now.checked_sub_signed(ago))
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
    };
    match test {
        PropertyTest::Exists(wanted) => present(value) == *wanted,
        PropertyTest::Equals(wanted) => value.is_some_and(|v| loosely_equal(wanted, v)),
        PropertyTest::NotEquals(wanted) => !value.is_some_and(|v| loosely_equal(wanted, v)),
        PropertyTest::In(options) => {
            value.is_some_and(|v| options.iter().any(|o| loosely_equal(o, v)))
        }
        PropertyTest::Contains(wanted) => match value {
            Some(Value::String(text)) => wanted.as_str().is_some_and(|w| text.contains(w)),
            Some(Value::Array(items)) => items.iter().any(|item| loosely_equal(wanted, item)),
            _ => false,
        },
        PropertyTest::Gt(limit) => value.and_then(number).is_some_and(|n| n > *limit),
        PropertyTest::Gte(limit) => value.and_then(number).is_some_and(|n| n >= *limit),
        PropertyTest::Lt(limit) => value.and_then(number).is_some_and(|n| n < *limit),
        PropertyTest::Lte(limit) => value.and_then(number).is_some_and(|n| n <= *limit),
        PropertyTest::Before(at) => value.and_then(instant).is_some_and(|v| v < resolve(at)),
        PropertyTest::After(at) => value.and_then(instant).is_some_and(|v| v > resolve(at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn property_tests_forgive_types_and_parse_dates() {
        let now = instant(&json!("2026-12-01T00:00:00Z")).unwrap();
        assert!(property_test(
            &PropertyTest::Equals(json!(3)),
            Some(&json!("3")),
            now
        ));
        assert!(property_test(
            &PropertyTest::Exists(false),
            Some(&json!("")),
            now
        ));
        assert!(property_test(
            &PropertyTest::Contains(json!("engaged-90")),
            Some(&json!(["vip", "engaged-90"])),
            now
        ));
        let thirty_days = std::time::Duration::from_secs(30 * 86_400);
        assert!(property_test(
            &PropertyTest::After(TimeRef::Ago(thirty_days)),
            Some(&json!("2026-11-20 10:00:00")),
            now
        ));
        assert!(!property_test(
            &PropertyTest::After(TimeRef::Ago(thirty_days)),
            Some(&json!("2026-10-20")),
            now
        ));
        assert!(!property_test(&PropertyTest::Gt(1.0), None, now));
    }
}
