//! Errors: every refusal names the field or rule at fault.

/// Why an incident operation was refused. Nothing is recorded when one of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input could not be read (syntax, unknown field, wrong type).
    #[error("{what}: {detail}")]
    Parse {
        /// What was being read.
        what: String,
        /// The parser's message.
        detail: String,
    },
    /// The input was read but a value is not acceptable.
    #[error("{field}: {detail}")]
    Invalid {
        /// The field, as a dotted path.
        field: String,
        /// What is wrong.
        detail: String,
    },
    /// The operation does not fit the incident's state (e.g. submitting a report not generated).
    #[error("{0}")]
    State(String),
    /// No such incident.
    #[error("no incident {0}")]
    NotFound(String),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] plumb_ledger::Error),
}

impl Error {
    /// A value error for `field`.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            detail: detail.into(),
        }
    }
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Parses an RFC 3339 time with an explicit offset (a time without one is refused: the
/// reporting clocks depend on it).
pub fn parse_time(field: &str, s: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    plumb_base::time::parse_rfc3339(s).map_err(|e| Error::invalid(field, e))
}

/// Formats a time as RFC 3339 UTC to the second.
pub fn fmt_time(t: chrono::DateTime<chrono::Utc>) -> String {
    plumb_base::time::format_seconds(t)
}
