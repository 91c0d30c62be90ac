//! The ingest error: which file, where, and what is wrong.

/// An input that could not be read. The gate turns it into a deny with exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct IngestError {
    /// The input file as given.
    pub file: String,
    /// 1-based line, when the format has lines and the position is known.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl IngestError {
    /// An error without a position.
    pub fn new(file: &str, message: impl Into<String>) -> Self {
        IngestError {
            file: file.to_string(),
            line: None,
            message: message.into(),
        }
    }

    /// An error at a line.
    pub fn at(file: &str, line: u64, message: impl Into<String>) -> Self {
        IngestError {
            file: file.to_string(),
            line: Some(line),
            message: message.into(),
        }
    }
}

/// Result with the ingest error.
pub type Result<T> = std::result::Result<T, IngestError>;
