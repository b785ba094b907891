use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What happens to a send the engine gets to later than it was due (cron ticks coarsely,
/// the engine was down). The e-mail always belongs to the day it was due on; lateness only
/// decides whether it still goes out. Without `late`: it goes out while it is still the
/// local day it was due on, and is skipped (counted as `late_skipped`) after that.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatePolicy {
    /// How late a send may be and still go out, e.g. `3h`. Default: until the end of the
    /// local day (scenario time zone) it was due on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = "3h")]
    pub after: Option<String>,
    /// What happens to a send later than `after`: `skip` (default) or `send` anyway.
    #[serde(default)]
    pub then: LateAction,
}

/// The outcome of a send that is too late.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LateAction {
    /// Do not send; the customer's path ends there, counted as `late_skipped`.
    #[default]
    Skip,
    /// Send anyway (e.g. a transactional message that must go out whatever the delay); it
    /// still counts for the day it was due on.
    Send,
}
