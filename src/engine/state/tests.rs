//! Engine state on both backends: counters add up, tokens park in due order and page,
//! ledger entries and cap usage round-trip.

use chrono::{DateTime, NaiveDate, Utc};

use super::*;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn backends() -> Vec<EngineState> {
    let db = sled::Config::new().temporary(true).open().unwrap();
    vec![
        EngineState::in_memory(),
        EngineState::new(Box::new(SledKv::open(&db).unwrap())),
    ]
}

fn parked(due: &str) -> TokenRecord {
    TokenRecord {
        node: "wait".into(),
        index: 3,
        state: TokenState::Parked { due: at(due) },
        event: None,
    }
}

#[test]
fn counters_and_caps_add_up_across_commits() {
    let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    for state in backends() {
        for _ in 0..3 {
            let mut commit = Commit::new();
            commit.count(7, date, "cap", "passed", 2);
            commit.count(7, date, "cap", "entered", 5);
            commit.use_cap("run/7/cap/gmail", 2);
            state.commit(commit).unwrap();
        }
        let counters = state.counters(Some(7)).unwrap();
        let value = |metric: &str| counters.iter().find(|c| c.metric == metric).unwrap().value;
        assert_eq!((value("entered"), value("passed")), (15, 6));
        assert_eq!(counters[0].date, date);
        assert_eq!(state.cap_used("run/7/cap/gmail").unwrap(), 6);
        assert!(state.counters(Some(8)).unwrap().is_empty());
    }
}

#[test]
fn parked_tokens_come_back_in_due_order_and_in_pages() {
    for state in backends() {
        let mut commit = Commit::new();
        for customer in 1..=5 {
            commit
                .put_token(1, customer, &parked("2026-12-01T09:00:00Z"))
                .unwrap();
        }
        commit
            .put_token(2, 9, &parked("2026-12-01T08:00:00Z"))
            .unwrap();
        state.commit(commit).unwrap();
        let first = state
            .first_due(at("2026-12-01T12:00:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!((first.run, first.due), (2, at("2026-12-01T08:00:00Z")));
        assert!(state
            .first_due(at("2026-12-01T07:00:00Z"))
            .unwrap()
            .is_none());
        let group = DueGroup {
            due: at("2026-12-01T09:00:00Z"),
            run: 1,
            node: 3,
        };
        assert_eq!(state.due_customers(group, None, 2).unwrap(), [1, 2]);
        assert_eq!(state.due_customers(group, Some(2), 10).unwrap(), [3, 4, 5]);
        assert_eq!(state.parked(1).unwrap(), 5);
        let mut wake = Commit::new();
        wake.unpark(1, 3, at("2026-12-01T09:00:00Z"), 1);
        state.commit(wake).unwrap();
        assert_eq!(state.parked(1).unwrap(), 4);
        let summary = state.due_summary().unwrap();
        assert_eq!(summary.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [1, 4]);
    }
}

#[test]
fn ledger_entries_and_runs_round_trip() {
    for state in backends() {
        let mut commit = Commit::new();
        commit.ledger(4, 2, 10, LedgerState::Intent);
        commit.ledger(4, 2, 11, LedgerState::Done);
        state.commit(commit).unwrap();
        assert_eq!(state.ledger(4, 2, 10).unwrap(), Some(LedgerState::Intent));
        assert_eq!(state.ledger(4, 2, 12).unwrap(), None);
        assert_eq!(state.ledger_in(LedgerState::Intent).unwrap(), [(4, 2, 10)]);
        let first = state.allocate_run_id().unwrap();
        assert_eq!(state.allocate_run_id().unwrap(), first + 1);
        state.save_version("s", "abc", "name: s").unwrap();
        state.save_version("s", "abc", "changed").unwrap();
        assert_eq!(
            state.version_source("s", "abc").unwrap().as_deref(),
            Some("name: s")
        );
    }
}
