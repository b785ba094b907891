//! Predicates: exactly one head, comparisons only with `property`, known segments,
//! consent categories and mailbox providers, valid dates, durations and templates.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use super::{templates, Cx};
use crate::scenario::compiled::{EventFilter, EventTest, Predicate, PropertyTest, TimeRef};
use crate::scenario::model;
use crate::scenario::time::{parse_bounded_duration, parse_date, DurationProblem, MAX_WINDOW};
use crate::scenario::{Code, YamlPath};

const HEADS: [&str; 11] = [
    "all",
    "any",
    "not",
    "property",
    "consent",
    "segment",
    "event",
    "mailbox_provider",
    "expr",
    "klaviyo_list",
    "klaviyo_segment",
];

/// Compiles a predicate written at `path`.
pub fn compile(cx: &mut Cx<'_>, p: &model::Predicate, path: &YamlPath) -> Option<Predicate> {
    let heads = heads(p);
    let comparisons = comparisons(cx, p, path);
    let compares = !comparisons.as_ref().is_some_and(Vec::is_empty);
    if p.property.is_none() && compares && heads.len() <= 1 {
        let message = match heads.first() {
            Some(head) => format!(
                "comparisons (`exists`, `equals`, `gt`, …) apply to a `property`, not to `{head}`"
            ),
            None => {
                "comparisons (`exists`, `equals`, `gt`, …) need a `property` to compare".to_owned()
            }
        };
        cx.error(path, Code::PropertyComparison, message);
        return None;
    }
    let [head] = heads.as_slice() else {
        return several_heads(cx, &heads, path);
    };
    match *head {
        "all" => list(cx, p.all.as_deref(), &path.key("all")).map(Predicate::All),
        "any" => list(cx, p.any.as_deref(), &path.key("any")).map(Predicate::Any),
        "not" => {
            let inner = p.not.as_deref()?;
            compile(cx, inner, &path.key("not")).map(|inner| Predicate::Not(Box::new(inner)))
        }
        "property" => property(cx, p, path, comparisons?),
        "consent" => {
            let category = p.consent.clone()?;
            cx.consent_category(&path.key("consent"), &category);
            Some(Predicate::Consent(category))
        }
        "segment" => segment(cx, p.segment.as_deref()?, &path.key("segment")),
        "event" => event(cx, p.event.as_ref()?, &path.key("event")).map(Predicate::Event),
        "mailbox_provider" => mailbox_provider(cx, p.mailbox_provider.as_ref()?, path),
        "klaviyo_list" | "klaviyo_segment" => super::membership::compile(cx, p, path),
        _ => {
            let expr = p.expr.clone()?;
            templates::expression(cx, &expr, &path.key("expr")).then_some(Predicate::Expr(expr))
        }
    }
}

/// The heads written, in `HEADS` order.
fn heads(p: &model::Predicate) -> Vec<&'static str> {
    let present = [
        p.all.is_some(),
        p.any.is_some(),
        p.not.is_some(),
        p.property.is_some(),
        p.consent.is_some(),
        p.segment.is_some(),
        p.event.is_some(),
        p.mailbox_provider.is_some(),
        p.expr.is_some(),
        p.klaviyo_list.is_some(),
        p.klaviyo_segment.is_some(),
    ];
    HEADS
        .iter()
        .zip(present)
        .filter(|(_, here)| *here)
        .map(|(head, _)| *head)
        .collect()
}

fn several_heads(cx: &mut Cx<'_>, heads: &[&str], path: &YamlPath) -> Option<Predicate> {
    let found = if heads.is_empty() {
        "none".to_owned()
    } else {
        let quoted: Vec<String> = heads.iter().map(|h| format!("`{h}`")).collect();
        quoted.join(", ")
    };
    cx.error_help(
        path,
        Code::PredicateHeads,
        format!("a predicate has exactly one head; found {found}"),
        Some(format!(
            "heads: {}; split several into `all: [...]`",
            HEADS.join(", ")
        )),
    );
    None
}

fn mailbox_provider(
    cx: &mut Cx<'_>,
    written: &model::OneOrMany,
    path: &YamlPath,
) -> Option<Predicate> {
    let values: Vec<String> = written.values().into_iter().map(str::to_owned).collect();
    let groups = cx.provider_groups();
    let at = path.key("mailbox_provider");
    for (i, value) in values.iter().enumerate() {
        if !groups.contains(value) {
            let item = match written {
                model::OneOrMany::Many(_) => at.index(i),
                model::OneOrMany::One(_) => at.clone(),
            };
            let what = "mailbox-provider group";
            cx.unknown_name(&item, Code::UnknownProvider, what, value, &groups);
        }
    }
    Some(Predicate::MailboxProvider(values))
}

fn list(
    cx: &mut Cx<'_>,
    items: Option<&[model::Predicate]>,
    path: &YamlPath,
) -> Option<Vec<Predicate>> {
    let mut compiled = Some(Vec::new());
    for (i, item) in items.unwrap_or_default().iter().enumerate() {
        let one = compile(cx, item, &path.index(i));
        compiled = compiled.zip(one).map(|(mut all, one)| {
            all.push(one);
            all
        });
    }
    compiled
}

fn property(
    cx: &mut Cx<'_>,
    p: &model::Predicate,
    path: &YamlPath,
    tests: Vec<PropertyTest>,
) -> Option<Predicate> {
    let name = p.property.clone()?;
    if tests.is_empty() {
        cx.error_help(
            &path.key("property"),
            Code::PropertyComparison,
            format!("property `{name}` has no comparison"),
            Some("add one of `exists`, `equals`, `not_equals`, `in`, `contains`, `gt`, `gte`, `lt`, `lte`, `before`, `after`".into()),
        );
        return None;
    }
    Some(Predicate::Property { name, tests })
}

/// The comparisons written; `None` when one of them is invalid (already reported).
fn comparisons(
    cx: &mut Cx<'_>,
    p: &model::Predicate,
    path: &YamlPath,
) -> Option<Vec<PropertyTest>> {
    let mut tests = Vec::new();
    if let Some(v) = p.exists {
        tests.push(PropertyTest::Exists(v));
    }
    if let Some(v) = &p.equals {
        tests.push(PropertyTest::Equals(v.clone()));
    }
    if let Some(v) = &p.not_equals {
        tests.push(PropertyTest::NotEquals(v.clone()));
    }
    if let Some(v) = &p.one_of {
        tests.push(PropertyTest::In(v.clone()));
    }
    if let Some(v) = &p.contains {
        tests.push(PropertyTest::Contains(v.clone()));
    }
    let numbers = [
        (p.gt, PropertyTest::Gt as fn(f64) -> PropertyTest),
        (p.gte, PropertyTest::Gte),
        (p.lt, PropertyTest::Lt),
        (p.lte, PropertyTest::Lte),
    ];
    tests.extend(numbers.into_iter().filter_map(|(v, make)| v.map(make)));
    let mut valid = true;
    for (field, value, make) in [
        (
            "before",
            &p.before,
            PropertyTest::Before as fn(TimeRef) -> PropertyTest,
        ),
        ("after", &p.after, PropertyTest::After),
    ] {
        let Some(text) = value else { continue };
        match time_ref(cx, text) {
            Ok(time) => tests.push(make(time)),
            Err((code, message)) => {
                cx.error(&path.key(field), code, message);
                valid = false;
            }
        }
    }
    valid.then_some(tests)
}

/// An RFC 3339 date-time, a date (local midnight), or a duration ago.
fn time_ref(cx: &Cx<'_>, text: &str) -> Result<TimeRef, (Code, String)> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(TimeRef::Absolute(instant.with_timezone(&Utc)));
    }
    if let Ok(date) = parse_date(text) {
        let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        if let Some(local) = cx.tz.from_local_datetime(&midnight).earliest() {
            return Ok(TimeRef::Absolute(local.with_timezone(&Utc)));
        }
    }
    match parse_bounded_duration(text, MAX_WINDOW) {
        Ok(ago) => Ok(TimeRef::Ago(ago)),
        Err(DurationProblem::TooLong(message)) => Err((Code::DurationTooLong, message)),
        Err(DurationProblem::Syntax(_)) => Err((
            Code::InvalidDate,
            format!("`{text}` is neither an RFC 3339 date-time, a date `YYYY-MM-DD`, nor a duration ago such as `30d`"),
        )),
    }
}

fn segment(cx: &mut Cx<'_>, name: &str, path: &YamlPath) -> Option<Predicate> {
    match cx.segments.get(name) {
        Some(Some(predicate)) => Some(Predicate::Segment {
            name: name.to_owned(),
            predicate: Box::new(predicate.clone()),
        }),
        Some(None) => None,
        None => {
            let known: Vec<String> = cx.segments.keys().cloned().collect();
            cx.unknown_name(path, Code::UnknownSegment, "segment", name, &known);
            None
        }
    }
}

/// Compiles an event-history test.
pub fn event(cx: &mut Cx<'_>, test: &model::EventTest, path: &YamlPath) -> Option<EventTest> {
    let within = match &test.within {
        Some(text) => Some(cx.duration(&path.key("within"), text, MAX_WINDOW)?),
        None => None,
    };
    let filter = filter(cx, &test.filter, &path.key("where"));
    if test.event_type == "consent" {
        consent_filter(cx, &test.filter, &path.key("where"));
    }
    Some(EventTest {
        event_type: test.event_type.clone(),
        filter: filter?,
        within,
        min: test.min.unwrap_or(1),
        max: test.max,
    })
}

/// An event property filter: one value means equal, a list means any of. String values
/// may be templates.
pub fn filter(
    cx: &mut Cx<'_>,
    written: &BTreeMap<String, serde_json::Value>,
    path: &YamlPath,
) -> Option<EventFilter> {
    let mut ok = true;
    let mut compiled = EventFilter::new();
    for (key, value) in written {
        let values = match value {
            serde_json::Value::Array(values) => values.clone(),
            other => vec![other.clone()],
        };
        for (i, value) in values.iter().enumerate() {
            if let serde_json::Value::String(text) = value {
                let at = if matches!(written[key], serde_json::Value::Array(_)) {
                    path.key(key.clone()).index(i)
                } else {
                    path.key(key.clone())
                };
                ok &= templates::template(cx, text, &at);
            }
        }
        compiled.insert(key.clone(), values);
    }
    ok.then_some(compiled)
}

/// `consent` events carry a `category`: check the names written.
pub fn consent_filter(
    cx: &mut Cx<'_>,
    written: &BTreeMap<String, serde_json::Value>,
    path: &YamlPath,
) {
    let Some(value) = written.get("category") else {
        return;
    };
    let at = path.key("category");
    match value {
        serde_json::Value::String(name) if !crate::template::is_template(name) => {
            cx.consent_category(&at, name)
        }
        serde_json::Value::Array(names) => {
            for (i, name) in names.iter().enumerate() {
                if let Some(name) = name.as_str() {
                    cx.consent_category(&at.index(i), name);
                }
            }
        }
        _ => {}
    }
}
