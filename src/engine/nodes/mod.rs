//! The node kinds' behaviour, one file per kind (conditions are evaluated in the wave itself
//! through [`crate::engine::predicate`]).

pub mod email;
pub mod email_ledger;
pub mod late;
pub mod limit;
pub mod properties;
pub mod split;
pub mod wait;
pub mod webhook;
