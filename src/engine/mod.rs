//! The engine: clocks, trigger schedules, runs and tokens, operators, durable state,
//! simulation.
//!
//! [`clock`] abstracts "now" so the same engine runs on real time and on the virtual clock of
//! `warmup simulate`; [`schedule`] computes when `on_date` and `repeat` triggers fire.
//! [`Engine`] is the heart: a [`Engine::tick`] starts the runs that are due, enters their
//! audiences in [`wave`]s and wakes parked tokens, writing to its [`state`] only what must
//! survive a crash. Customers come through [`CustomerAccess`] (the store, or an in-memory
//! [`Overlay`] of it for simulations); side effects go through [`Actions`].

pub mod actions_port;
pub mod clock;
pub mod context;
pub mod crash_point;
pub mod customers;
mod due;
pub mod error;
pub mod failures;
mod feedback;
pub mod hash;
pub mod membership;
pub mod memory_customers;
pub mod nodes;
pub mod overlay;
pub mod predicate;
pub mod project_actions;
pub mod properties;
mod report;
mod runner;
pub mod schedule;
pub mod simulate;
pub mod state;
pub mod step;
pub mod stop;
mod store_access;
pub mod token;
mod triggers;
pub mod uncertain;
pub mod wave;

pub use actions_port::{ActionOutcome, Actions, CapturingActions};
pub use customers::{CustomerAccess, CustomerEvent, CustomerView};
pub use error::{EngineError, Result};
pub use memory_customers::MemoryCustomers;
pub use overlay::Overlay;
pub use properties::Properties;
pub use runner::{Compiler, Engine, EngineParts, TickSummary};
pub use simulate::{simulate, simulate_with_progress, Setup, Simulation};
pub use state::EngineState;
pub use stop::StopFlag;
pub use uncertain::UncertainEmail;
