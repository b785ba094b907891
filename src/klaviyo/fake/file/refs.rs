//! Identifier and reference fields of a seed file that check themselves while they are
//! deserialized, so a problem is reported by serde with the file's line and column.
//!
//! Uniqueness (two profiles with one email) is checked on the first reading. References (an
//! event naming an unknown metric) can only be judged once the whole file is known: the
//! loader reads the file, finds that a reference does not resolve, and reads it again with
//! the [`Catalog`] of what exists armed, so the bad reference fails where it is written.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::scenario::reporter::{quote_all, suggest};

/// What a field identifies or refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A profile id (ULID).
    ProfileId,
    /// A profile's email (case-insensitive).
    Email,
    /// A profile's phone number.
    Phone,
    /// A profile's external id.
    ExternalId,
    /// A list id.
    ListId,
    /// A list's name.
    ListName,
    /// A metric id.
    MetricId,
    /// A metric's name (in `metrics`).
    MetricName,
    /// A campaign's name (in `campaigns`).
    CampaignName,
    /// A list by id or name.
    List,
    /// A metric by name.
    Metric,
    /// A campaign by name.
    Campaign,
    /// A profile by email or id.
    Profile,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Self::ProfileId => "profile id",
            Self::Email => "email",
            Self::Phone => "phone number",
            Self::ExternalId => "external id",
            Self::ListId => "list id",
            Self::ListName => "list name",
            Self::MetricId => "metric id",
            Self::MetricName => "metric name",
            Self::CampaignName => "campaign name",
            Self::List => "list",
            Self::Metric => "metric",
            Self::Campaign => "campaign",
            Self::Profile => "profile",
        }
    }

    /// The form a value is compared in (emails ignore case and surrounding space).
    pub fn normalize(self, text: &str) -> String {
        match self {
            Self::Email | Self::Profile => text.trim().to_lowercase(),
            _ => text.to_owned(),
        }
    }
}

/// The names that exist in a file, by kind of reference.
#[derive(Debug, Default)]
pub struct Catalog {
    known: HashMap<Kind, (HashSet<String>, Vec<String>)>,
}

impl Catalog {
    /// Records that `name` can be referred to as `kind`.
    pub fn add(&mut self, kind: Kind, name: &str) {
        let (set, names) = self.known.entry(kind).or_default();
        if set.insert(kind.normalize(name)) && kind != Kind::Profile {
            names.push(name.to_owned());
        }
    }

    /// Whether `text` resolves; the error says what exists instead.
    pub fn check(&self, kind: Kind, text: &str) -> Result<(), String> {
        let empty = (HashSet::new(), Vec::new());
        let (set, names) = self.known.get(&kind).unwrap_or(&empty);
        if set.contains(&kind.normalize(text)) {
            return Ok(());
        }
        if kind == Kind::Profile {
            return Err(format!(
                "no profile has the email or id `{text}` (events name profiles in `profiles`)"
            ));
        }
        let hint = suggest(text, names).unwrap_or_else(|| match names.len() {
            0 => format!("the file defines no {}s", kind.noun()),
            1..=12 => format!("known: {}", quote_all(names)),
            n => format!("{n} {}s are defined", kind.noun()),
        });
        Err(format!("unknown {} `{text}` ({hint})", kind.noun()))
    }
}

#[derive(Default)]
struct Context {
    seen: HashMap<Kind, HashSet<String>>,
    catalog: Option<Catalog>,
}

thread_local! {
    static CONTEXT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// Runs `read` with the checks on: uniqueness always, references when `catalog` is given.
pub fn with_checks<T>(catalog: Option<Catalog>, read: impl FnOnce() -> T) -> T {
    let context = Context {
        catalog,
        ..Context::default()
    };
    let previous = CONTEXT.with(|c| c.replace(Some(context)));
    let out = read();
    CONTEXT.with(|c| c.replace(previous));
    out
}

fn check(kind: Kind, text: &str) -> Result<(), String> {
    CONTEXT.with(|c| {
        let mut context = c.borrow_mut();
        let Some(context) = context.as_mut() else {
            return Ok(());
        };
        if matches!(
            kind,
            Kind::List | Kind::Metric | Kind::Campaign | Kind::Profile
        ) {
            return context
                .catalog
                .as_ref()
                .map_or(Ok(()), |k| k.check(kind, text));
        }
        if !context
            .seen
            .entry(kind)
            .or_default()
            .insert(kind.normalize(text))
        {
            return Err(format!("{} `{text}` is used twice", kind.noun()));
        }
        Ok(())
    })
}

/// How a kind of field is checked on its own (its syntax) and what it is.
pub trait FieldKind {
    /// What it identifies or refers to.
    const KIND: Kind;
    /// The syntax check of one value.
    fn syntax(_text: &str) -> Result<(), String> {
        Ok(())
    }
}

/// A string field checked while deserialized: syntax, then uniqueness or resolution.
pub struct Checked<K>(pub String, PhantomData<K>);

impl<K> Checked<K> {
    /// Wraps an already known value (dumping).
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into(), PhantomData)
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<K> Clone for Checked<K> {
    fn clone(&self) -> Self {
        Self::new(self.0.clone())
    }
}

impl<K> fmt::Debug for Checked<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<K> Serialize for Checked<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de, K: FieldKind> Deserialize<'de> for Checked<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        K::syntax(&text)
            .and_then(|()| check(K::KIND, &text))
            .map_err(D::Error::custom)?;
        Ok(Self::new(text))
    }
}

/// Declares marker types of fields; the ones listed with `syntax` check their text.
macro_rules! kinds {
    ($($name:ident => $kind:ident),* $(,)?) => {$(
        #[doc = concat!("Marker of a field of kind [`Kind::", stringify!($kind), "`].")]
        pub enum $name {}
        impl FieldKind for $name {
            const KIND: Kind = Kind::$kind;
            fn syntax(text: &str) -> Result<(), String> {
                syntax(Kind::$kind, text)
            }
        }
    )*};
}
kinds! {
    ProfileIdField => ProfileId, EmailField => Email, PhoneField => Phone,
    ExternalIdField => ExternalId, ListIdField => ListId, ListNameField => ListName,
    MetricIdField => MetricId,
    MetricNameField => MetricName, CampaignNameField => CampaignName,
    ListRef => List, MetricRef => Metric, CampaignRef => Campaign, ProfileRef => Profile,
}

fn syntax(kind: Kind, text: &str) -> Result<(), String> {
    let ok = match kind {
        Kind::ProfileId => ulid::Ulid::from_string(text).is_ok(),
        Kind::Email => text
            .trim()
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty()),
        Kind::ListId | Kind::MetricId => {
            !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        _ => !text.trim().is_empty(),
    };
    if ok {
        return Ok(());
    }
    Err(match kind {
        Kind::ProfileId => {
            format!("`{text}` is not a profile id (26 characters of Crockford base32, a ULID)")
        }
        Kind::Email => format!("`{text}` is not an email address"),
        Kind::ListId | Kind::MetricId => {
            format!("`{text}` is not an id (letters and digits, e.g. `Y6nRLr`)")
        }
        _ => format!("an empty {} is not allowed", kind.noun()),
    })
}

/// `list_id` of a suppression: a list by id or name, checked like other list references.
pub fn optional_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    if let Some(text) = &text {
        check(Kind::List, text).map_err(D::Error::custom)?;
    }
    Ok(text)
}

/// A date and time in RFC 3339, with an error that says so.
pub fn datetime<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(deserializer)?;
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            D::Error::custom(format!(
                "`{text}` is not a date and time ({e}); write e.g. 2025-04-15T08:30:00Z"
            ))
        })
}

/// An optional [`datetime`].
pub fn optional_datetime<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "datetime")] DateTime<Utc>);
    Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(t)| t))
}

/// A record with rules across its fields, checked once it is read (the error then points
/// at the record's end).
pub trait Validate {
    /// The first broken rule.
    fn validate(&self) -> Result<(), String>;
}

/// A record checked by its [`Validate`] rules as it is deserialized.
#[derive(Debug, Clone)]
pub struct Validated<T>(pub T);

impl<T> std::ops::Deref for Validated<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Serialize> Serialize for Validated<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de> + Validate> Deserialize<'de> for Validated<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Checked inside the visitor, so the error carries the record's position.
        struct Visitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Validate> serde::de::Visitor<'de> for Visitor<T> {
            type Value = Validated<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let value = T::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                value.validate().map_err(A::Error::custom)?;
                Ok(Validated(value))
            }
        }
        deserializer.deserialize_map(Visitor(PhantomData))
    }
}

impl<T: Default> Default for Validated<T> {
    fn default() -> Self {
        Self(T::default())
    }
}
