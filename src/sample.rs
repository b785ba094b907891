//! A deterministic generator of realistic Klaviyo-shaped customers, for benchmarks, demos
//! and tests.
//!
//! The same seed always yields the same customers. The mailbox mix follows real lists:
//! about 40 % Gmail, 15 % Microsoft, 10 % Yahoo/AOL, 10 % Apple and 25 % other domains.
//! Consent is 75 % `SUBSCRIBED`, 15 % `NEVER_SUBSCRIBED`, 10 % `UNSUBSCRIBED`; most customers
//! opened within the last 90 days, fewer clicked. Emails are unique within one sample.
//!
//! Use [`Sample::records`] to iterate customers or [`Sample::write_csv`] to write a CSV in the
//! column layout of a Klaviyo list/segment export.

use std::io::Write;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Columns of the generated CSV, as Klaviyo names them in exports.
pub const CSV_HEADER: [&str; 13] = [
    "Email",
    "Klaviyo ID",
    "First Name",
    "Last Name",
    "Phone Number",
    "City",
    "Country",
    "Email Marketing Consent",
    "Email Marketing Consent Timestamp",
    "Last Open",
    "Last Click",
    "Profile Created On",
    "Shopify Tags",
];

const FIRST: [&str; 24] = [
    "james",
    "mary",
    "robert",
    "patricia",
    "john",
    "jennifer",
    "michael",
    "linda",
    "david",
    "elizabeth",
    "william",
    "barbara",
    "sofia",
    "lukas",
    "emma",
    "noah",
    "olivia",
    "liam",
    "ana",
    "jan",
    "eva",
    "tomas",
    "chloe",
    "mateo",
];
const LAST: [&str; 20] = [
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "novak",
    "muller", "schmidt", "rossi", "dubois", "silva", "kowalski", "nguyen", "kim", "martin", "lee",
    "walker",
];
const CITIES: [(&str, &str); 8] = [
    ("New York", "United States"),
    ("Austin", "United States"),
    ("London", "United Kingdom"),
    ("Prague", "Czechia"),
    ("Berlin", "Germany"),
    ("Toronto", "Canada"),
    ("Sydney", "Australia"),
    ("Paris", "France"),
];
const TAGS: [&str; 5] = ["vip", "newsletter", "wholesale", "returning", ""];

/// Domains by mailbox provider with their share in percent (the rest is "other").
const PROVIDERS: [(u32, &[&str]); 4] = [
    (
        40,
        &["gmail.com", "gmail.com", "gmail.com", "googlemail.com"],
    ),
    (15, &["outlook.com", "hotmail.com", "live.com", "msn.com"]),
    (10, &["yahoo.com", "aol.com", "ymail.com", "yahoo.co.uk"]),
    (10, &["icloud.com", "me.com", "mac.com"]),
];
const OTHER_DOMAINS: [&str; 8] = [
    "comcast.net",
    "gmx.de",
    "proton.me",
    "web.de",
    "seznam.cz",
    "orange.fr",
    "brand.example",
    "company.example",
];

/// One generated customer, with the fields of a Klaviyo export row.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleCustomer {
    /// Email address (unique within the sample).
    pub email: String,
    /// Klaviyo profile id (26 characters, like Klaviyo's).
    pub klaviyo_id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Phone number in E.164, or empty.
    pub phone: String,
    /// City.
    pub city: String,
    /// Country.
    pub country: String,
    /// `SUBSCRIBED`, `UNSUBSCRIBED` or `NEVER_SUBSCRIBED`.
    pub consent: &'static str,
    /// When consent was last given or withdrawn (none for `NEVER_SUBSCRIBED`).
    pub consent_timestamp: Option<DateTime<Utc>>,
    /// Last email open.
    pub last_open: Option<DateTime<Utc>>,
    /// Last email click.
    pub last_click: Option<DateTime<Utc>>,
    /// When the Klaviyo profile was created.
    pub created: DateTime<Utc>,
    /// A custom column, like Shopify tags.
    pub shopify_tags: &'static str,
}

/// A seeded stream of customers.
#[derive(Debug, Clone)]
pub struct Sample {
    seed: u64,
    /// The instant "now" of the sample: dates are spread before it.
    pub now: DateTime<Utc>,
}

impl Sample {
    /// A sample with this seed, dated before 2026-11-01.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            now: Utc
                .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
        }
    }

    /// `count` customers, generated lazily.
    pub fn records(&self, count: u64) -> impl Iterator<Item = SampleCustomer> {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let now = self.now;
        (0..count).map(move |index| generate(&mut rng, index, now))
    }

    /// Writes `count` customers as a Klaviyo-export CSV (header first).
    pub fn write_csv<W: Write>(&self, writer: W, count: u64) -> std::io::Result<()> {
        let mut csv = csv::Writer::from_writer(writer);
        csv.write_record(CSV_HEADER)
            .map_err(std::io::Error::other)?;
        for customer in self.records(count) {
            csv.write_record(customer.csv_row())
                .map_err(std::io::Error::other)?;
        }
        csv.flush()
    }
}

impl SampleCustomer {
    /// The row in [`CSV_HEADER`] order; dates as Klaviyo writes them (`YYYY-MM-DD HH:MM:SS`).
    pub fn csv_row(&self) -> [String; 13] {
        let date = |at: &Option<DateTime<Utc>>| {
            at.map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default()
        };
        [
            self.email.clone(),
            self.klaviyo_id.clone(),
            self.first_name.clone(),
            self.last_name.clone(),
            self.phone.clone(),
            self.city.clone(),
            self.country.clone(),
            self.consent.to_owned(),
            date(&self.consent_timestamp),
            date(&self.last_open),
            date(&self.last_click),
            date(&Some(self.created)),
            self.shopify_tags.to_owned(),
        ]
    }
}

fn generate(rng: &mut StdRng, index: u64, now: DateTime<Utc>) -> SampleCustomer {
    let first = pick(rng, &FIRST);
    let last = pick(rng, &LAST);
    let domain = pick_domain(rng);
    let email = match rng.random_range(0..3) {
        0 => format!("{first}.{last}{index}@{domain}"),
        1 => format!("{first}{index}@{domain}"),
        _ => format!("{}{last}{index}@{domain}", &first[..1]),
    };
    let created = now - seconds(rng, 3 * 365 * 86_400);
    let (consent, consent_timestamp) = match rng.random_range(0..100) {
        0..75 => ("SUBSCRIBED", Some(created + seconds(rng, 86_400))),
        75..90 => ("NEVER_SUBSCRIBED", None),
        _ => ("UNSUBSCRIBED", Some(now - seconds(rng, 365 * 86_400))),
    };
    let last_open = rng
        .random_bool(0.85)
        .then(|| now - seconds(rng, 90 * 86_400));
    let last_click = match last_open {
        Some(open) if rng.random_bool(0.45) => Some(open - seconds(rng, 30 * 86_400)),
        _ => None,
    };
    let (city, country) = CITIES[rng.random_range(0..CITIES.len())];
    let phone = if rng.random_bool(0.4) {
        format!(
            "+1{:010}",
            rng.random_range(2_000_000_000u64..9_999_999_999)
        )
    } else {
        String::new()
    };
    SampleCustomer {
        klaviyo_id: klaviyo_id(rng),
        first_name: capitalise(first),
        last_name: capitalise(last),
        email,
        phone,
        city: city.to_owned(),
        country: country.to_owned(),
        consent,
        consent_timestamp,
        last_open,
        last_click,
        created,
        shopify_tags: TAGS[rng.random_range(0..TAGS.len())],
    }
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn pick_domain(rng: &mut StdRng) -> &'static str {
    let mut roll = rng.random_range(0..100u32);
    for (share, domains) in PROVIDERS {
        if roll < share {
            return domains[rng.random_range(0..domains.len())];
        }
        roll -= share;
    }
    OTHER_DOMAINS[rng.random_range(0..OTHER_DOMAINS.len())]
}

fn seconds(rng: &mut StdRng, max: i64) -> Duration {
    Duration::seconds(rng.random_range(0..max))
}

fn klaviyo_id(rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut id = String::with_capacity(26);
    id.push_str("01");
    for _ in 0..24 {
        id.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
    }
    id
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{default_mailbox_providers, mailbox_provider_of};

    #[test]
    fn same_seed_same_customers() {
        let a: Vec<_> = Sample::new(7).records(50).collect();
        let b: Vec<_> = Sample::new(7).records(50).collect();
        assert_eq!(a, b);
        assert_ne!(a, Sample::new(8).records(50).collect::<Vec<_>>());
    }

    #[test]
    fn mailbox_mix_matches_real_lists() {
        let groups = default_mailbox_providers();
        let mut counts = std::collections::BTreeMap::new();
        for customer in Sample::new(1).records(20_000) {
            *counts
                .entry(mailbox_provider_of(&customer.email, &groups))
                .or_insert(0u32) += 1;
        }
        let share = |name: &str| f64::from(counts[name]) / 20_000.0;
        assert!((share("gmail") - 0.40).abs() < 0.02, "{counts:?}");
        assert!((share("microsoft") - 0.15).abs() < 0.02, "{counts:?}");
        assert!((share("yahoo") - 0.10).abs() < 0.02, "{counts:?}");
        assert!((share("apple") - 0.10).abs() < 0.02, "{counts:?}");
        assert!((share("other") - 0.25).abs() < 0.02, "{counts:?}");
    }

    #[test]
    fn csv_has_the_export_header_and_one_row_per_customer() {
        let mut out = Vec::new();
        Sample::new(3).write_csv(&mut out, 10).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("Email,Klaviyo ID,First Name,"));
        assert_eq!(text.lines().count(), 11);
    }
}
