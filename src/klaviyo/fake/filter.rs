//! The `filter` query parameter: `op(field,value)`, `any(field,[…])`, `has(rel)`, combined
//! with `and(…)` or a top-level comma list. Strings must be quoted, datetimes must not be.
//! Each endpoint whitelists field/operator pairs; anything else is "Invalid filter provided."

use chrono::{DateTime, NaiveDate, Utc};

use super::errors::ApiError;

/// A filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `equals`
    Equals,
    /// `any`
    Any,
    /// `less-than`
    LessThan,
    /// `less-or-equal`
    LessOrEqual,
    /// `greater-than`
    GreaterThan,
    /// `greater-or-equal`
    GreaterOrEqual,
    /// `contains`
    Contains,
    /// `starts-with`
    StartsWith,
    /// `ends-with`
    EndsWith,
    /// `has`
    Has,
}

impl Op {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "equals" => Self::Equals,
            "any" => Self::Any,
            "less-than" => Self::LessThan,
            "less-or-equal" => Self::LessOrEqual,
            "greater-than" => Self::GreaterThan,
            "greater-or-equal" => Self::GreaterOrEqual,
            "contains" => Self::Contains,
            "starts-with" => Self::StartsWith,
            "ends-with" => Self::EndsWith,
            "has" => Self::Has,
            _ => return None,
        })
    }
}

/// A literal of a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A quoted string.
    Text(String),
    /// An unquoted ISO-8601 datetime or date.
    Time(DateTime<Utc>),
    /// A bare number.
    Number(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `["a","b"]` for `any`.
    Many(Vec<Literal>),
    /// No value (`has`).
    None,
}

/// What type a whitelisted field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Quoted strings.
    Text,
    /// Unquoted datetimes.
    Time,
    /// Numbers.
    Number,
    /// A relationship for `has`.
    Relation,
}

/// One whitelisted field: name, type and allowed operators.
pub type Allowed = (&'static str, Kind, &'static [Op]);

/// One condition of a parsed filter; all conditions must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator.
    pub op: Op,
    /// The field (or relation for `has`).
    pub field: String,
    /// The literal.
    pub value: Literal,
}

/// Parses `filter` against an endpoint's whitelist.
pub fn parse(text: &str, allowed: &[Allowed]) -> Result<Vec<Condition>, ApiError> {
    let mut parser = Parser { text, pos: 0 };
    let mut out = Vec::new();
    loop {
        parser.call(&mut out)?;
        parser.skip_spaces();
        if parser.eat(',') {
            continue;
        }
        break;
    }
    if parser.pos != text.len() {
        return Err(ApiError::invalid_filter());
    }
    for condition in &out {
        check(condition, allowed)?;
    }
    Ok(out)
}

fn check(condition: &Condition, allowed: &[Allowed]) -> Result<(), ApiError> {
    let Some((_, kind, ops)) = allowed.iter().find(|(f, _, _)| *f == condition.field) else {
        return Err(ApiError::invalid_filter());
    };
    if !ops.contains(&condition.op) {
        return Err(ApiError::invalid_filter());
    }
    let fits = |value: &Literal| match (kind, value) {
        (Kind::Text, Literal::Text(_)) | (Kind::Time, Literal::Time(_)) => Ok(()),
        (Kind::Number, Literal::Number(_)) | (_, Literal::Null) => Ok(()),
        (Kind::Time, Literal::Text(_)) => Err(ApiError::invalid_parameter(
            "filter",
            "Invalid filter provided. Verify your datetimes are not in quotes.",
        )),
        _ => Err(ApiError::invalid_filter()),
    };
    match (&condition.value, kind) {
        (Literal::None, Kind::Relation) => Ok(()),
        (Literal::Many(values), _) if condition.op == Op::Any => values.iter().try_for_each(fits),
        (value, _) if condition.op != Op::Any && condition.op != Op::Has => fits(value),
        _ => Err(ApiError::invalid_filter()),
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_spaces(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_spaces();
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), ApiError> {
        self.eat(c)
            .then_some(())
            .ok_or_else(ApiError::invalid_filter)
    }

    /// A bare token: up to `,`, `)` or `]`.
    fn token(&mut self) -> &'a str {
        self.skip_spaces();
        let rest = self.rest();
        let end = rest.find([',', ')', ']', '(']).unwrap_or(rest.len());
        self.pos += end;
        rest[..end].trim()
    }

    fn call(&mut self, out: &mut Vec<Condition>) -> Result<(), ApiError> {
        let name = self.token().to_owned();
        self.expect('(')?;
        if name == "and" {
            loop {
                self.call(out)?;
                if !self.eat(',') {
                    break;
                }
            }
            return self.expect(')');
        }
        let op = Op::parse(&name).ok_or_else(ApiError::invalid_filter)?;
        let field = self.token().to_owned();
        if field.is_empty() {
            return Err(ApiError::invalid_filter());
        }
        let value = if op == Op::Has {
            Literal::None
        } else {
            self.expect(',')?;
            if op == Op::Any {
                self.list()?
            } else {
                self.literal()?
            }
        };
        self.expect(')')?;
        out.push(Condition { op, field, value });
        Ok(())
    }

    fn list(&mut self) -> Result<Literal, ApiError> {
        self.expect('[')?;
        let mut values = Vec::new();
        if !self.eat(']') {
            loop {
                values.push(self.literal()?);
                if !self.eat(',') {
                    break;
                }
            }
            self.expect(']')?;
        }
        Ok(Literal::Many(values))
    }

    fn literal(&mut self) -> Result<Literal, ApiError> {
        self.skip_spaces();
        let rest = self.rest();
        if let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let body = &rest[1..];
            let end = body.find(quote).ok_or_else(ApiError::invalid_filter)?;
            let text = body[..end].to_owned();
            self.pos += end + 2;
            return Ok(Literal::Text(text));
        }
        let token = self.token();
        bare_literal(token).ok_or_else(ApiError::invalid_filter)
    }
}

fn bare_literal(token: &str) -> Option<Literal> {
    match token {
        "true" => return Some(Literal::Bool(true)),
        "false" => return Some(Literal::Bool(false)),
        "null" => return Some(Literal::Null),
        _ => {}
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(token) {
        return Some(Literal::Time(time.with_timezone(&Utc)));
    }
    if let Ok(date) = NaiveDate::parse_from_str(token, "%Y-%m-%d") {
        return Some(Literal::Time(date.and_hms_opt(0, 0, 0)?.and_utc()));
    }
    token.parse::<f64>().ok().map(Literal::Number)
}

impl Condition {
    /// Whether a text field's value satisfies the condition.
    pub fn matches_text(&self, actual: Option<&str>) -> bool {
        fn text(l: &Literal) -> Option<&str> {
            match l {
                Literal::Text(t) => Some(t.as_str()),
                _ => None,
            }
        }
        match (&self.op, &self.value) {
            (Op::Equals, Literal::Null) => actual.is_none(),
            (Op::Any, Literal::Many(values)) => values.iter().any(|v| text(v) == actual),
            (Op::Equals, v) => actual.is_some() && text(v) == actual,
            (Op::Contains, v) => matches!((actual, text(v)), (Some(a), Some(t)) if a.contains(t)),
            (Op::StartsWith, v) => {
                matches!((actual, text(v)), (Some(a), Some(t)) if a.starts_with(t))
            }
            (Op::EndsWith, v) => matches!((actual, text(v)), (Some(a), Some(t)) if a.ends_with(t)),
            _ => false,
        }
    }

    /// Whether a datetime field's value satisfies the condition.
    pub fn matches_time(&self, actual: DateTime<Utc>) -> bool {
        let Literal::Time(limit) = self.value else {
            return false;
        };
        compare(self.op, actual.cmp(&limit))
    }

    /// Whether a number field's value satisfies the condition.
    pub fn matches_number(&self, actual: f64) -> bool {
        let Literal::Number(limit) = self.value else {
            return false;
        };
        actual
            .partial_cmp(&limit)
            .is_some_and(|ordering| compare(self.op, ordering))
    }
}

fn compare(op: Op, ordering: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Equals => ordering == Equal,
        Op::LessThan => ordering == Less,
        Op::LessOrEqual => ordering != Greater,
        Op::GreaterThan => ordering == Greater,
        Op::GreaterOrEqual => ordering != Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: &[Allowed] = &[
        ("metric_id", Kind::Text, &[Op::Equals]),
        (
            "datetime",
            Kind::Time,
            &[Op::GreaterThan, Op::GreaterOrEqual],
        ),
        ("profile", Kind::Relation, &[Op::Has]),
    ];

    #[test]
    fn and_and_comma_lists_both_parse() {
        let a = parse(
            r#"and(equals(metric_id,"WCahHj"),greater-or-equal(datetime,2024-01-01T00:00:00Z))"#,
            EVENTS,
        )
        .unwrap();
        let b = parse(
            r#"equals(metric_id,'WCahHj'),greater-or-equal(datetime,2024-01-01T00:00:00Z)"#,
            EVENTS,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
        assert!(a[0].matches_text(Some("WCahHj")));
    }

    #[test]
    fn quoted_datetimes_and_unlisted_fields_are_refused() {
        let quoted = parse(r#"greater-than(datetime,"2024-01-01T00:00:00Z")"#, EVENTS);
        assert!(quoted.unwrap_err().detail.contains("not in quotes"));
        let unknown = parse(r#"equals(email,"a@b.c")"#, EVENTS).unwrap_err();
        assert_eq!(unknown.detail, "Invalid filter provided.");
        assert!(parse(r#"less-than(datetime,2024-01-01T00:00:00Z)"#, EVENTS).is_err());
        assert!(parse(r#"equals(metric_id,WCahHj)"#, EVENTS).is_err());
        assert!(parse(r#"equals(metric_id,"x""#, EVENTS).is_err());
        assert!(parse("has(profile)", EVENTS).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,60}") {
            let _ = parse(&text, EVENTS);
        }
    }
}
