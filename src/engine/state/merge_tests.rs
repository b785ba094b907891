//! The hand-over of a merged customer's state: one token per run, the ledger's strongest
//! entry, parked entries that move or go, the journal cursor, stale entries removed.

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::store::{CustomerRecord, Store, UpsertOutcome};

const RUN: RunId = 1;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

const DUE: &str = "2026-12-01T08:00:00Z";

fn parked() -> TokenRecord {
    TokenRecord {
        node: "256".into(),
        index: 3,
        state: TokenState::Parked { due: at(DUE) },
        event: None,
    }
}

/// A state with one open run.
fn state() -> EngineState {
    let state = EngineState::in_memory();
    let mut commit = Commit::new();
    commit
        .put_run(&RunRecord {
            id: RUN,
            scenario: "s".into(),
            version: "v".into(),
            trigger: "229".into(),
            fired_at: at("2026-11-30T23:00:00Z"),
            local_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            day: None,
            status: RunStatus::Open,
            entered: 3,
            events: Vec::new(),
        })
        .unwrap();
    state.commit(commit).unwrap();
    state
}

fn park(state: &EngineState, customer: u64) {
    let mut commit = Commit::new();
    commit.put_token(RUN, customer, &parked()).unwrap();
    state.commit(commit).unwrap();
}

fn due_customers(state: &EngineState) -> Vec<u64> {
    let group = state.next_due().unwrap().unwrap();
    state.due_customers(group, None, 100).unwrap()
}

fn merged_count(state: &EngineState) -> u64 {
    let counters = state.counters(Some(RUN)).unwrap();
    counters
        .iter()
        .filter(|c| c.node == "256" && c.metric == "merged")
        .map(|c| c.value)
        .sum()
}

#[test]
fn both_parked_keeps_the_survivors_token_only() {
    let state = state();
    park(&state, 1);
    park(&state, 2);
    park(&state, 3);
    state.hand_over(2, 1).unwrap();
    assert_eq!(due_customers(&state), vec![1, 3]);
    assert!(state.token(RUN, 2).unwrap().is_none());
    assert_eq!(state.token(RUN, 1).unwrap(), Some(parked()));
    assert_eq!(state.parked(RUN).unwrap(), 2);
    assert_eq!(merged_count(&state), 1);
    // Again: nothing changes.
    state.hand_over(2, 1).unwrap();
    assert_eq!(state.parked(RUN).unwrap(), 2);
    assert_eq!(merged_count(&state), 1);
}

#[test]
fn an_absorbed_token_alone_moves_under_the_survivor_still_parked() {
    let state = state();
    park(&state, 5);
    state.hand_over(5, 4).unwrap();
    assert_eq!(due_customers(&state), vec![4]);
    assert_eq!(state.token(RUN, 4).unwrap(), Some(parked()));
    assert!(state.token(RUN, 5).unwrap().is_none());
    assert_eq!(state.parked(RUN).unwrap(), 1);
    assert_eq!(merged_count(&state), 0);
}

#[test]
fn the_ledger_keeps_the_entry_that_forbids_a_second_send() {
    let state = state();
    let mut commit = Commit::new();
    commit.ledger(RUN, 4, 2, LedgerState::Done);
    commit.ledger(RUN, 4, 1, LedgerState::Failed);
    commit.ledger(RUN, 6, 2, LedgerState::Intent);
    commit.ledger(RUN, 9, 1, LedgerState::Done);
    commit.ledger(RUN, 9, 2, LedgerState::Failed);
    commit.ledger(RUN, 7, 3, LedgerState::Done);
    state.commit(commit).unwrap();
    state.hand_over(2, 1).unwrap();
    assert_eq!(state.ledger(RUN, 4, 1).unwrap(), Some(LedgerState::Done));
    assert_eq!(state.ledger(RUN, 6, 1).unwrap(), Some(LedgerState::Intent));
    assert_eq!(state.ledger(RUN, 9, 1).unwrap(), Some(LedgerState::Done));
    assert_eq!(state.ledger(RUN, 7, 3).unwrap(), Some(LedgerState::Done));
    for node in [4, 6, 9] {
        assert_eq!(state.ledger(RUN, node, 2).unwrap(), None, "node {node}");
    }
}

#[test]
fn done_runs_are_left_alone() {
    let state = state();
    park(&state, 2);
    let mut run = state.run(RUN).unwrap().unwrap();
    run.status = RunStatus::Done;
    let mut commit = Commit::new();
    commit.put_run(&run).unwrap();
    state.commit(commit).unwrap();
    state.hand_over(2, 1).unwrap();
    assert!(state.token(RUN, 2).unwrap().is_some());
}

#[test]
fn a_parked_entry_without_its_token_is_removed_not_woken() {
    let state = state();
    park(&state, 1);
    park(&state, 2);
    let mut commit = Commit::new();
    commit.delete_token(RUN, 2);
    state.commit(commit).unwrap();
    let group = state.next_due().unwrap().unwrap();
    assert_eq!(state.parked_token(group, 1).unwrap(), Some(parked()));
    assert_eq!(state.parked_token(group, 2).unwrap(), None);
    assert_eq!(due_customers(&state), vec![1]);
    assert_eq!(state.parked(RUN).unwrap(), 1);
}

fn merge(store: &Store, email: &str, klaviyo: &str) -> UpsertOutcome {
    store
        .upsert(&CustomerRecord {
            email: Some(email.into()),
            klaviyo_id: Some(klaviyo.into()),
            ..CustomerRecord::default()
        })
        .unwrap()
}

#[test]
fn the_store_journal_is_followed_once_and_in_order() {
    let store = Store::temporary().unwrap();
    for (email, klaviyo) in [("a@x.io", "KA"), ("b@x.io", "KB"), ("c@x.io", "KC")] {
        merge(&store, email, klaviyo);
    }
    let state = state();
    park(&state, 2);
    park(&state, 3);
    // The first hand-over of a state takes every merge so far; none yet.
    assert_eq!(state.hand_over_merges(&store).unwrap(), 0);
    // c into b, then b into a: both tokens end up on a, one of them.
    assert!(matches!(
        merge(&store, "c@x.io", "KB"),
        UpsertOutcome::Merged { .. }
    ));
    assert!(matches!(
        merge(&store, "c@x.io", "KA"),
        UpsertOutcome::Merged { .. }
    ));
    assert_eq!(state.hand_over_merges(&store).unwrap(), 2);
    assert_eq!(due_customers(&state), vec![1]);
    assert_eq!(state.parked(RUN).unwrap(), 1);
    assert_eq!(merged_count(&state), 1);
    assert_eq!(
        state.hand_over_merges(&store).unwrap(),
        0,
        "the cursor moved on"
    );
}

#[test]
fn a_state_from_before_the_journal_takes_every_recorded_merge() {
    let store = Store::temporary().unwrap();
    for (email, klaviyo) in [("a@x.io", "KA"), ("b@x.io", "KB"), ("c@x.io", "KC")] {
        merge(&store, email, klaviyo);
    }
    merge(&store, "c@x.io", "KB");
    merge(&store, "c@x.io", "KA");
    let state = state();
    park(&state, 3);
    // Chains resolve to the live id: c's token lands on a, not on the absorbed b.
    assert_eq!(state.hand_over_merges(&store).unwrap(), 2);
    assert_eq!(due_customers(&state), vec![1]);
}

#[test]
fn the_wake_loop_hands_over_in_its_run_even_when_marked_done() {
    let state = state();
    park(&state, 2);
    let mut run = state.run(RUN).unwrap().unwrap();
    run.status = RunStatus::Done;
    state.hand_over_in_run(&run, 2, 1).unwrap();
    assert_eq!(due_customers(&state), vec![1]);
    assert!(state.token(RUN, 2).unwrap().is_none());
}
