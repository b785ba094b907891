//! The customer store as the sync's [`CustomerSink`].

use super::sink::{CustomerHandle, CustomerSink, SinkError, SyncedCustomer, SyncedEvent, Upserted};
use crate::store::{CustomerId, CustomerRecord, Event, Store, StoreError, UpsertOutcome};

/// Store errors caused by the record (bad identifiers, bad events) are skipped by the sync;
/// the rest stop it.
fn sink_error(error: StoreError) -> SinkError {
    match error {
        StoreError::InvalidId { .. } | StoreError::NoId | StoreError::InvalidEvent(_) => {
            SinkError::Rejected(error.to_string())
        }
        other => SinkError::Store(other.to_string()),
    }
}

impl CustomerSink for Store {
    fn upsert_customer(&self, c: &SyncedCustomer) -> Result<(CustomerHandle, Upserted), SinkError> {
        let record = CustomerRecord {
            email: c.email.clone(),
            klaviyo_id: Some(c.klaviyo_id.clone()),
            properties: c.properties.clone(),
            ..CustomerRecord::default()
        };
        let outcome = self.upsert(&record).map_err(sink_error)?;
        let upserted = match outcome {
            UpsertOutcome::Created(_) => Upserted::Created,
            UpsertOutcome::Unchanged(_) => Upserted::Unchanged,
            UpsertOutcome::Updated(_) | UpsertOutcome::Merged { .. } => Upserted::Updated,
        };
        Ok((outcome.customer().0, upserted))
    }

    fn record_events(&self, events: &[(CustomerHandle, SyncedEvent)]) -> Result<(), SinkError> {
        if events.is_empty() {
            return Ok(());
        }
        let batch: Vec<(CustomerId, Event)> = events
            .iter()
            .map(|(handle, e)| {
                let mut event = Event::new(e.event_type.clone(), e.timestamp);
                event.properties = e.properties.clone();
                (CustomerId(*handle), event)
            })
            .collect();
        self.record_events(&batch).map(drop).map_err(sink_error)
    }

    fn tree(&self, name: &str) -> Result<sled::Tree, SinkError> {
        Store::tree(self, name).map_err(sink_error)
    }

    fn flush(&self) -> Result<(), SinkError> {
        Store::flush(self).map_err(sink_error)
    }
}
