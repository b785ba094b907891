//! The engine: clocks, trigger schedules, runs and tokens.
//!
//! [`clock`] abstracts "now" so the same engine runs on real time and on the virtual clock of
//! `warmup simulate`; [`schedule`] computes when `on_date` and `repeat` triggers fire.

pub mod clock;
pub mod schedule;
