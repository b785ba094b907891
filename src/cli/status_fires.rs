//! The "next fires" part of `warmup status`: computed from what already ran (the trigger's
//! last fire, or its last missed one, in the store), never from the wall clock, so that a
//! project driven by `tick --now` reads the same as one driven by cron.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::engine::Engine;

/// Writes the next fire of every trigger, and the fires it missed while the engine was down.
pub fn next_fires(
    out: &mut String,
    engine: &Engine,
    wanted: &dyn Fn(&str) -> bool,
    now: Option<DateTime<Utc>>,
) -> crate::engine::Result<()> {
    let _ = writeln!(out, "next fires:");
    for scenario in engine.scenarios().iter().filter(|s| wanted(s.name())) {
        for &trigger in scenario.triggers() {
            let node = scenario.node(trigger);
            let name = format!("{} {}", scenario.name(), node.id);
            if node.kind.name() == "on_event" {
                let _ = writeln!(out, "  {name}: on each matching event");
                continue;
            }
            let Some(state) = engine.state().trigger_state(scenario.name(), &node.id)? else {
                let _ = writeln!(out, "  {name}: not active yet (the next tick activates it)");
                continue;
            };
            let next = engine.next_fire_of(scenario, &node.id, state.origin)?;
            let mut line = match next {
                Some(fire) => format!(
                    "  {name}: {}{}{}",
                    fire.at.to_rfc3339(),
                    fire.day.map_or(String::new(), |d| format!(" (day {d})")),
                    if now.is_some_and(|now| fire.at <= now) {
                        " due: the next tick runs it (per catch_up)"
                    } else {
                        ""
                    }
                ),
                None => format!("  {name}: no more fires"),
            };
            if state.missed > 0 {
                let _ = write!(
                    line,
                    "; {} missed while the engine was down (last {})",
                    state.missed,
                    state
                        .last_missed
                        .map_or("-".to_owned(), |at| at.to_rfc3339())
                );
            }
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(())
}
