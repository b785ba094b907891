use std::fmt;

/// An outgoing port of a node: the label of an edge in the DAG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Port {
    /// The only way on (triggers, wait, set_property, add_event; actions on success).
    Next,
    /// Condition true.
    Yes,
    /// Condition false.
    No,
    /// Under the limit's cap.
    Passed,
    /// Over the limit's cap.
    Over,
    /// An action failed for good.
    OnFailure,
    /// A split branch, by position (0-based).
    Branch(usize),
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Port::Next => f.write_str("next"),
            Port::Yes => f.write_str("yes"),
            Port::No => f.write_str("no"),
            Port::Passed => f.write_str("passed"),
            Port::Over => f.write_str("over"),
            Port::OnFailure => f.write_str("on_failure"),
            Port::Branch(index) => write!(f, "branch {}", index + 1),
        }
    }
}
