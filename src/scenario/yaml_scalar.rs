//! Scalars of the YAML reader: their spans in the source and their resolution to
//! null, booleans, numbers and strings exactly as serde_yaml resolves them.

use serde_json::Value;
use yaml_rust2::scanner::TScalarStyle;

use super::Span;

/// The span of a scalar starting at `offset`: the quoted text with its quotes, the
/// first line of a plain scalar, or the indicator of a block scalar.
pub fn scalar_span(text: &str, offset: usize, value: &str, style: TScalarStyle) -> Span {
    let rest = text.get(offset..).unwrap_or_default();
    let len = match style {
        TScalarStyle::Plain => value.lines().next().map_or(0, str::len),
        TScalarStyle::SingleQuoted => quoted_len(rest, '\''),
        TScalarStyle::DoubleQuoted => quoted_len(rest, '"'),
        _ => 1,
    };
    let mut len = len.min(rest.len());
    while !rest.is_char_boundary(len) {
        len -= 1;
    }
    Span { offset, len }
}

/// Length of a quoted scalar at the start of `rest`, quotes included.
fn quoted_len(rest: &str, quote: char) -> usize {
    let mut chars = rest.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek().map(|(_, c)| *c) == Some('\'') {
                chars.next();
            } else {
                return i + c.len_utf8();
            }
        }
    }
    rest.lines().next().map_or(0, str::len)
}

/// Resolves a plain scalar to null, a boolean, a number or a string, exactly as
/// serde_yaml does (YAML 1.2 core schema).
pub fn resolve_plain(text: &str) -> Value {
    let first = text.chars().next();
    let may_be_special = match first {
        None => return Value::Null,
        Some(c) => {
            c.is_ascii_digit()
                || matches!(c, '-' | '+' | '.' | '~' | 'n' | 'N' | 't' | 'T' | 'f' | 'F')
        }
    };
    if may_be_special {
        match serde_yaml::from_str::<serde_yaml::Value>(text) {
            Ok(serde_yaml::Value::Null) => return Value::Null,
            Ok(serde_yaml::Value::Bool(b)) => return Value::Bool(b),
            Ok(serde_yaml::Value::Number(n)) => {
                let number = if let Some(i) = n.as_i64() {
                    Some(i.into())
                } else if let Some(u) = n.as_u64() {
                    Some(u.into())
                } else {
                    n.as_f64().and_then(serde_json::Number::from_f64)
                };
                // `.inf` and `.nan` have no JSON form: they stay text.
                if let Some(number) = number {
                    return Value::Number(number);
                }
            }
            _ => {}
        }
    }
    Value::String(text.to_owned())
}
