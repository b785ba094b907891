/// Marks an error as the user's input being invalid: the binary exits with code 2.
///
/// When the problems were already printed (e.g. rendered diagnostics), the
/// error carries `reported = true` so that only the exit code remains.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct InvalidInput {
    message: String,
    reported: bool,
}

impl InvalidInput {
    /// An invalid-input error whose message still has to be printed.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            reported: false,
        }
    }

    /// An invalid-input error whose details were already printed.
    pub fn reported(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            reported: true,
        }
    }

    /// Whether the details were already printed.
    pub fn already_reported(&self) -> bool {
        self.reported
    }
}
