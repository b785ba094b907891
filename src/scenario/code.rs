//! Stable diagnostic codes.
//!
//! Each check has its own code; codes are never reused or renumbered, so users and
//! scripts can rely on them.
//!
//! | Code  | Problem |
//! |-------|---------|
//! | W0001 | YAML syntax error |
//! | W0002 | unknown field |
//! | W0003 | missing field |
//! | W0004 | wrong type or invalid value of a field |
//! | W0005 | unknown node `kind` |
//! | W0006 | duplicate YAML key |
//! | W0007 | duplicate node id |
//! | W0008 | edge to a missing node |
//! | W0009 | cycle |
//! | W0010 | node unreachable from every trigger |
//! | W0011 | template syntax error |
//! | W0012 | undefined template variable |
//! | W0013 | undefined auth schema |
//! | W0014 | undefined segment |
//! | W0015 | undefined consent category |
//! | W0016 | undefined e-mail template |
//! | W0017 | undefined param |
//! | W0018 | invalid time zone |
//! | W0019 | invalid date, date-time or time of day |
//! | W0020 | invalid duration |
//! | W0021 | invalid cron expression |
//! | W0022 | exactly one of several fields required |
//! | W0023 | split percentages do not add up to 100 |
//! | W0024 | plan table shorter than the trigger's days |
//! | W0025 | plan or caps table misses a mailbox-provider group, or names an unknown one |
//! | W0026 | unknown plan |
//! | W0027 | batch size above the preset's maximum |
//! | W0028 | preset parameter missing |
//! | W0029 | unknown preset parameter |
//! | W0030 | predicate with no or several heads |
//! | W0031 | comparison without `property`, or `property` without a comparison |
//! | W0032 | duplicate scenario name |
//! | W0033 | segment that refers to itself |
//! | W0034 | scenario without a trigger |
//! | W0035 | edge into a trigger |
//! | W0036 | unknown mailbox-provider group |
//! | W0037 | e-mail node but no `email` section in the project |
//! | W0038 | file cannot be read |
//! | W0039 | secret cannot be read (preflight) |
//! | W0040 | e-mail template fails for a sample customer (preflight) |
//! | W0041 | Klaviyo refuses the API key (preflight, `--online`) |
//! | W0042 | Klaviyo list does not exist (preflight, `--online`) |
//! | W0043 | duration longer than its field allows |
//! | W0044 | segments nested too deeply |

use std::fmt;

macro_rules! codes {
    ($($variant:ident = $code:literal, $summary:literal;)*) => {
        /// A stable diagnostic code (see the module docs for the table).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(
                #[doc = $summary]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as printed, e.g. `W0001`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// One line on what the code means.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }
        }
    };
}

codes! {
    YamlSyntax = "W0001", "YAML syntax error";
    UnknownField = "W0002", "unknown field";
    MissingField = "W0003", "missing field";
    InvalidValue = "W0004", "wrong type or invalid value of a field";
    UnknownKind = "W0005", "unknown node `kind`";
    DuplicateKey = "W0006", "duplicate YAML key";
    DuplicateNodeId = "W0007", "duplicate node id";
    MissingNode = "W0008", "edge to a missing node";
    Cycle = "W0009", "cycle";
    Unreachable = "W0010", "node unreachable from every trigger";
    TemplateSyntax = "W0011", "template syntax error";
    UndefinedVariable = "W0012", "undefined template variable";
    UnknownAuth = "W0013", "undefined auth schema";
    UnknownSegment = "W0014", "undefined segment";
    UnknownConsent = "W0015", "undefined consent category";
    UnknownEmailTemplate = "W0016", "undefined e-mail template";
    UnknownParam = "W0017", "undefined param";
    InvalidTimezone = "W0018", "invalid time zone";
    InvalidDate = "W0019", "invalid date, date-time or time of day";
    InvalidDuration = "W0020", "invalid duration";
    InvalidCron = "W0021", "invalid cron expression";
    ExactlyOne = "W0022", "exactly one of several fields required";
    SplitPercent = "W0023", "split percentages do not add up to 100";
    PlanDays = "W0024", "plan table shorter than the trigger's days";
    PlanGroups = "W0025", "plan or caps table misses a mailbox-provider group, or names an unknown one";
    UnknownPlan = "W0026", "unknown plan";
    BatchTooLarge = "W0027", "batch size above the preset's maximum";
    PresetParamMissing = "W0028", "preset parameter missing";
    PresetParamUnknown = "W0029", "unknown preset parameter";
    PredicateHeads = "W0030", "predicate with no or several heads";
    PropertyComparison = "W0031", "comparison without `property`, or `property` without a comparison";
    DuplicateScenario = "W0032", "duplicate scenario name";
    SegmentCycle = "W0033", "segment that refers to itself";
    NoTrigger = "W0034", "scenario without a trigger";
    EdgeIntoTrigger = "W0035", "edge into a trigger";
    UnknownProvider = "W0036", "unknown mailbox-provider group";
    NoEmailConfig = "W0037", "e-mail node but no `email` section in the project";
    Unreadable = "W0038", "file cannot be read";
    SecretUnreadable = "W0039", "secret cannot be read (preflight)";
    TemplateFails = "W0040", "e-mail template fails for a sample customer (preflight)";
    KlaviyoKeyRefused = "W0041", "Klaviyo refuses the API key (preflight, `--online`)";
    UnknownKlaviyoList = "W0042", "Klaviyo list does not exist (preflight, `--online`)";
    DurationTooLong = "W0043", "duration longer than its field allows";
    SegmentsTooDeep = "W0044", "segments nested too deeply";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_numbered_in_order_without_gaps() {
        for (i, code) in Code::ALL.iter().enumerate() {
            assert_eq!(code.as_str(), format!("W{:04}", i + 1));
        }
    }
}
