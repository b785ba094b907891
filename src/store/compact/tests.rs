use chrono::{TimeZone, Utc};

use super::*;
use crate::store::{CustomerRecord, Event};

fn customer(email: &str) -> CustomerRecord {
    CustomerRecord {
        email: Some(email.into()),
        ..CustomerRecord::default()
    }
}

/// A store in `dir/store` with `count` customers, each with a consent event.
fn filled(dir: &Path, count: u64) -> PathBuf {
    let path = dir.join("store");
    let store = Store::open(&path).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    for index in 0..count {
        let id = store
            .upsert(&customer(&format!("c{index}@example.com")))
            .unwrap()
            .customer();
        let consent = Event::new("consent", at)
            .with("action", "accept")
            .with("category", "newsletter");
        store.record_event(id, &consent).unwrap();
    }
    store.flush().unwrap();
    path
}

#[test]
fn compaction_keeps_every_entry_and_the_id_counter() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(dir.path(), 300);
    let compaction = Store::compact(&path).unwrap();
    // customers, ids, merged, merge_log, events, consent, event_log and sled's default tree
    assert_eq!(compaction.trees, 8);
    // 300 customers, 300 email index entries, 300 events, 300 log entries, 300 consents
    assert_eq!(compaction.entries, 1500);
    assert!(compaction.after > 0);
    assert!(!sibling(&path, "compacting").exists());
    assert!(!sibling(&path, "pre-compact").exists());
    assert!(!path.join(COMPLETE).exists());

    let store = Store::open(&path).unwrap();
    assert_eq!(store.count(), 300);
    let found = store.find_by_any("c299@example.com").unwrap().unwrap();
    assert_eq!(store.customer_events(found.id).count(), 1);
    let newest = store
        .upsert(&customer("new@example.com"))
        .unwrap()
        .customer();
    assert!(
        newest > found.id,
        "{newest:?} reuses an id at or below {found:?}"
    );
    assert_eq!(store.events_since(0).count(), 300);
}

#[test]
fn compaction_refuses_a_store_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(dir.path(), 3);
    let _held = Store::open(&path).unwrap();
    let error = Store::compact(&path).unwrap_err();
    assert!(matches!(error, StoreError::InUse(_)), "{error:?}");
    assert!(!sibling(&path, "compacting").exists());
}

#[test]
fn an_interrupted_swap_with_a_complete_copy_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(dir.path(), 5);
    let copy = sibling(&path, "compacting");
    Store::open(&path).unwrap().copy_into(&copy).unwrap();
    std::fs::write(copy.join(COMPLETE), b"").unwrap();
    std::fs::rename(&path, sibling(&path, "pre-compact")).unwrap();

    let store = Store::open(&path).unwrap();
    assert_eq!(store.count(), 5);
    assert!(!copy.exists());
    assert!(!sibling(&path, "pre-compact").exists());
    assert!(!path.join(COMPLETE).exists());
}

#[test]
fn an_interrupted_copy_puts_the_original_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(dir.path(), 5);
    let copy = sibling(&path, "compacting");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::rename(&path, sibling(&path, "pre-compact")).unwrap();

    let store = Store::open(&path).unwrap();
    assert_eq!(store.count(), 5);
    drop(store);
    // The next compaction clears the half-written copy.
    assert_eq!(Store::compact(&path).unwrap().entries, 25);
    assert!(!copy.exists());
}
