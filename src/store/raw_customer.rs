//! Customers read for streaming: identifiers decoded, properties left as stored.

use std::borrow::Cow;
use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{keys, CustomerId, Result, Store, StoreError};

/// A customer whose properties are still the JSON object in the stored record: the engine
/// decodes the few it reads ([`crate::engine::Properties`]).
#[derive(Debug, Clone)]
pub struct RawCustomer {
    /// Internal id.
    pub id: CustomerId,
    /// Hard ID: the email address.
    pub email_id: Option<String>,
    /// Hard ID: the Klaviyo profile id.
    pub klaviyo_id: Option<String>,
    /// The stored record.
    pub record: sled::IVec,
    /// Where the properties object lies in `record`; `None` when the record has none.
    pub properties: Option<Range<usize>>,
}

/// The parts of a [`super::StoredCustomer`] that streaming needs, borrowed from the record.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(default, rename = "e", borrow)]
    email_id: Option<Cow<'a, str>>,
    #[serde(default, rename = "k", borrow)]
    klaviyo_id: Option<Cow<'a, str>>,
    #[serde(default, rename = "p", borrow)]
    properties: Option<&'a RawValue>,
}

impl Store {
    /// Every customer in id order, streamed, without decoding properties.
    pub fn raw_customers(&self) -> impl Iterator<Item = Result<RawCustomer>> + '_ {
        self.customers.iter().map(move |entry| {
            let (key, record) = entry.map_err(|e| self.sled(e))?;
            let id = keys::decode_customer(&key).ok_or_else(|| StoreError::Corrupt {
                what: "customer key",
                detail: format!("{} bytes", key.len()),
            })?;
            let head: Head<'_> =
                serde_json::from_slice(&record).map_err(|e| StoreError::Corrupt {
                    what: "customer",
                    detail: e.to_string(),
                })?;
            let properties = head.properties.map(|raw| {
                let start = raw.get().as_ptr() as usize - record.as_ptr() as usize;
                start..start + raw.get().len()
            });
            let email_id = head.email_id.map(Cow::into_owned);
            let klaviyo_id = head.klaviyo_id.map(Cow::into_owned);
            Ok(RawCustomer {
                id,
                email_id,
                klaviyo_id,
                properties,
                record,
            })
        })
    }
}
