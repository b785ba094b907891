//! Shared by the Klaviyo sync tests: a fake account, a client, and a sink to sync into.

#![allow(dead_code)]

pub mod http;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use warmup::klaviyo::client::{KlaviyoClient, RetryPolicy, DEFAULT_REVISION};
use warmup::klaviyo::sync::{
    CustomerHandle, CustomerSink, SinkError, SyncedCustomer, SyncedEvent, Upserted,
};
use warmup::project::Secret;

/// A client with quick retries.
pub fn client(base: &str, key: &str) -> KlaviyoClient {
    KlaviyoClient::new(base, Secret::new(key), DEFAULT_REVISION)
        .unwrap()
        .with_retry(RetryPolicy {
            max_retries: 30,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(2),
        })
}

/// A customer as the memory sink keeps it.
#[derive(Debug, Clone)]
pub struct Customer {
    pub klaviyo_id: String,
    pub email: Option<String>,
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// An in-memory sink with a temporary sled database for the sync's own trees.
pub struct MemorySink {
    db: sled::Db,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    customers: Vec<Customer>,
    by_klaviyo_id: HashMap<String, usize>,
    events: Vec<(CustomerHandle, SyncedEvent)>,
}

impl MemorySink {
    pub fn new() -> Self {
        Self {
            db: sled::Config::new().temporary(true).open().unwrap(),
            inner: Mutex::default(),
        }
    }

    pub fn customers(&self) -> Vec<Customer> {
        self.inner.lock().unwrap().customers.clone()
    }

    pub fn customer(&self, klaviyo_id: &str) -> Option<Customer> {
        let inner = self.inner.lock().unwrap();
        inner
            .by_klaviyo_id
            .get(klaviyo_id)
            .map(|&i| inner.customers[i].clone())
    }

    pub fn events(&self) -> Vec<(Customer, SyncedEvent)> {
        let inner = self.inner.lock().unwrap();
        inner
            .events
            .iter()
            .map(|(h, e)| (inner.customers[*h as usize].clone(), e.clone()))
            .collect()
    }

    pub fn events_of(&self, klaviyo_id: &str) -> Vec<SyncedEvent> {
        self.events()
            .into_iter()
            .filter(|(c, _)| c.klaviyo_id == klaviyo_id)
            .map(|(_, e)| e)
            .collect()
    }

    pub fn cursor_count(&self) -> usize {
        self.db.open_tree("klaviyo/cursors").unwrap().len()
    }
}

impl CustomerSink for MemorySink {
    fn upsert_customer(&self, c: &SyncedCustomer) -> Result<(CustomerHandle, Upserted), SinkError> {
        if c.email.as_deref().is_some_and(|e| !e.contains('@')) {
            return Err(SinkError::Rejected(format!(
                "invalid email `{}`",
                c.email.as_deref().unwrap_or("")
            )));
        }
        let mut inner = self.inner.lock().unwrap();
        if let Some(&i) = inner.by_klaviyo_id.get(&c.klaviyo_id) {
            let customer = &mut inner.customers[i];
            let before = customer.properties.clone();
            for (k, v) in &c.properties {
                customer.properties.insert(k.clone(), v.clone());
            }
            if c.email.is_some() {
                customer.email = c.email.clone();
            }
            let outcome = if before == customer.properties {
                Upserted::Unchanged
            } else {
                Upserted::Updated
            };
            return Ok((i as u64, outcome));
        }
        let i = inner.customers.len();
        inner.customers.push(Customer {
            klaviyo_id: c.klaviyo_id.clone(),
            email: c.email.clone(),
            properties: c.properties.clone(),
        });
        inner.by_klaviyo_id.insert(c.klaviyo_id.clone(), i);
        Ok((i as u64, Upserted::Created))
    }

    fn record_events(&self, events: &[(CustomerHandle, SyncedEvent)]) -> Result<(), SinkError> {
        self.inner
            .lock()
            .unwrap()
            .events
            .extend(events.iter().cloned());
        Ok(())
    }

    fn tree(&self, name: &str) -> Result<sled::Tree, SinkError> {
        self.db
            .open_tree(name)
            .map_err(|e| SinkError::Store(e.to_string()))
    }

    fn flush(&self) -> Result<(), SinkError> {
        self.db
            .flush()
            .map(drop)
            .map_err(|e| SinkError::Store(e.to_string()))
    }
}
