//! Model errors: what is wrong, where (file and line where the format has lines), and what is
//! allowed instead.

/// A model that cannot be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ModelError {
    /// The file.
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl ModelError {
    /// An error without a line.
    pub fn new(file: &str, message: impl Into<String>) -> Self {
        ModelError {
            file: file.into(),
            line: None,
            message: message.into(),
        }
    }

    /// An error at a line.
    pub fn at(file: &str, line: Option<u64>, message: impl Into<String>) -> Self {
        ModelError {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl From<plumb_base::input::InputError> for ModelError {
    fn from(e: plumb_base::input::InputError) -> Self {
        ModelError {
            file: e.file,
            line: e.line,
            message: e.message,
        }
    }
}

/// Result with the model error.
pub type Result<T> = std::result::Result<T, ModelError>;
