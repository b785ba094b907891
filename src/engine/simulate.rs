//! Simulation: scenarios run over a date range on a virtual clock, against an in-memory
//! overlay of the store and an in-memory engine state, with every side effect captured.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::actions_port::CapturingActions;
use super::customers::CustomerAccess;
use super::error::Result;
use super::overlay::Overlay;
use super::runner::{Compiler, Engine, EngineParts, TickSummary};
use super::schedule::resolve_local;
use super::state::EngineState;
use crate::scenario::compiled::Scenario;

/// A finished simulation: the engine (its in-memory state holds every counter), the
/// captured actions and the overlay with what the simulation wrote.
pub struct Simulation {
    /// The engine after the last step.
    pub engine: Engine,
    /// Captured actions.
    pub actions: Arc<CapturingActions>,
    /// First simulated local date.
    pub from: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// Totals over all ticks.
    pub summary: TickSummary,
}

/// Runs `scenarios` from local midnight of `from` (in the first scenario's time zone) for
/// `days` days over `base`, stepping the virtual clock from one due instant to the next.
pub fn simulate(
    base: Arc<dyn CustomerAccess>,
    scenarios: Vec<Scenario>,
    providers: BTreeMap<String, Vec<String>>,
    compiler: Compiler,
    from: NaiveDate,
    days: u32,
    keep_actions: bool,
) -> Result<Simulation> {
    let setup = Setup {
        scenarios,
        providers,
        compiler,
        from,
        days,
        keep_actions,
    };
    simulate_with_progress(base, setup, &mut |_| {})
}

/// What to simulate.
pub struct Setup {
    /// The scenarios.
    pub scenarios: Vec<Scenario>,
    /// Mailbox-provider groups of the project.
    pub providers: BTreeMap<String, Vec<String>>,
    /// Compiles stored scenario versions.
    pub compiler: Compiler,
    /// First local date.
    pub from: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// Keep every captured action in memory (tests).
    pub keep_actions: bool,
}

/// [`simulate`], reporting the virtual clock after each step (for a progress bar).
pub fn simulate_with_progress(
    base: Arc<dyn CustomerAccess>,
    setup: Setup,
    progress: &mut dyn FnMut(DateTime<Utc>),
) -> Result<Simulation> {
    let Setup {
        scenarios,
        providers,
        compiler,
        from,
        days,
        keep_actions,
    } = setup;
    let tz = scenarios.first().map_or(chrono_tz::UTC, |s| s.timezone());
    let start = resolve_local(tz, from.and_hms_opt(0, 0, 0).unwrap_or_default());
    let end_date = from + Duration::days(i64::from(days));
    let end = resolve_local(tz, end_date.and_hms_opt(0, 0, 0).unwrap_or_default());
    let overlay: Arc<dyn CustomerAccess> = Arc::new(Overlay::new(base)?);
    let actions = Arc::new(if keep_actions {
        CapturingActions::keeping()
    } else {
        CapturingActions::new()
    });
    let engine = Engine::new(EngineParts {
        access: overlay,
        state: EngineState::in_memory(),
        actions: actions.clone(),
        providers,
        scenarios,
        compiler,
        durable: false,
    });
    // Active from the first simulated local day on, so a fire at its midnight counts.
    engine.register(start)?;
    let mut summary = TickSummary::default();
    let mut now: DateTime<Utc> = start;
    loop {
        let tick = engine.tick(now)?;
        summary.absorb(&tick);
        progress(now);
        match engine.next_instant(now)? {
            Some(next) if next < end => now = next.max(now + Duration::milliseconds(1)),
            _ => break,
        }
    }
    Ok(Simulation {
        engine,
        actions,
        from,
        days,
        summary,
    })
}
