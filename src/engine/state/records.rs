//! Records of the engine state: runs, tokens, triggers, ledger entries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A run id: allocated in order, never reused.
pub type RunId = u64;

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The trigger's audience is being entered; a restart enters it again, skipping customers
    /// that already hold a token.
    Entering,
    /// Every customer entered; tokens may still be parked.
    Open,
    /// No token is parked any more.
    Done,
}

/// A run: one firing of a trigger, pinned to the scenario version that started it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Id.
    pub id: RunId,
    /// Scenario name.
    pub scenario: String,
    /// Scenario version (content hash); its source is stored under this version.
    pub version: String,
    /// Id of the trigger node.
    pub trigger: String,
    /// The scheduled instant of the fire (or the time the events were taken).
    pub fired_at: DateTime<Utc>,
    /// The local date of the fire.
    pub local_date: NaiveDate,
    /// `day` of a repeat trigger (1-based).
    pub day: Option<u32>,
    /// Status.
    pub status: RunStatus,
    /// Customers that entered.
    #[serde(default)]
    pub entered: u64,
    /// For `on_event` runs: the customers and their events, entered on replay.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<(u64, serde_json::Value)>,
}

/// Where a token is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    /// Waiting at a node until an instant.
    Parked {
        /// When it moves on.
        due: DateTime<Utc>,
    },
    /// Its path is over.
    Ended,
}

/// A token as stored: only tokens that park, or that ended after a side effect, are stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Node id where it is (or ended).
    pub node: String,
    /// Node index in the run's scenario version.
    pub index: u32,
    /// State.
    pub state: TokenState,
    /// The event of an `on_event` run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<serde_json::Value>,
}

/// Per trigger: when it last fired, when the scenario became active, the event cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerState {
    /// When the engine first saw the trigger.
    pub origin: DateTime<Utc>,
    /// The last fire that started a run.
    pub last_fired: Option<DateTime<Utc>>,
    /// `on_event`: the next event-log sequence to read.
    #[serde(default)]
    pub cursor: u64,
    /// Scheduled fires that will never run (missed while the engine was down, beyond what
    /// `catch_up` runs), reported by `status` and the tick summary.
    #[serde(default)]
    pub missed: u32,
    /// The latest fire counted in `missed`; fires up to it are never looked at again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_missed: Option<DateTime<Utc>>,
}

impl TriggerState {
    /// Fires at or before this instant are done with: run, missed, or before activation.
    pub fn floor(&self) -> DateTime<Utc> {
        [self.last_fired, self.last_missed]
            .into_iter()
            .flatten()
            .fold(self.origin, DateTime::max)
    }
}

/// The state of a side effect in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerState {
    /// About to be performed (e-mail: written and flushed before sending).
    Intent,
    /// Performed and confirmed.
    Done,
    /// Failed for good.
    Failed,
    /// An intent found without its confirmation after a restart: reported, never redone
    /// (unless an operator resends it).
    Uncertain,
    /// An uncertain send an operator dismissed: no longer reported, never redone.
    Dismissed,
}

impl LedgerState {
    /// One-byte encoding.
    pub fn byte(self) -> u8 {
        match self {
            LedgerState::Intent => b'i',
            LedgerState::Done => b'd',
            LedgerState::Failed => b'f',
            LedgerState::Uncertain => b'u',
            LedgerState::Dismissed => b'x',
        }
    }

    /// Decodes [`LedgerState::byte`].
    pub fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            b'i' => LedgerState::Intent,
            b'd' => LedgerState::Done,
            b'f' => LedgerState::Failed,
            b'u' => LedgerState::Uncertain,
            b'x' => LedgerState::Dismissed,
            _ => return None,
        })
    }
}
