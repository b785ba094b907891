//! Trigger schedules: DST gaps and folds, start/end dates, `day`, catch-up.

mod calendar;
mod catch_up;
mod common;
mod dst;
