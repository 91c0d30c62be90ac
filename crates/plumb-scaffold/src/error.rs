//! Scaffolding errors: what is wrong, where, and what to do. Every error is raised before
//! anything is written.

use std::path::PathBuf;

/// Why a scaffold could not be generated, checked or applied.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The model cannot be scaffolded as it is.
    #[error("{message}")]
    Model {
        /// What is wrong.
        message: String,
        /// What to change in the model.
        hint: String,
    },
    /// A template set is broken (missing manifest, bad syntax, unknown reference).
    #[error("template {template}: {file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Template {
        /// Template name.
        template: String,
        /// File inside the template.
        file: String,
        /// Line, where known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// Invalid options or a state of the output directory that forbids the operation.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl ScaffoldError {
    /// A model error with a hint.
    pub fn model(message: impl Into<String>, hint: impl Into<String>) -> Self {
        ScaffoldError::Model {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// A usage error with a hint.
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Self {
        ScaffoldError::Usage {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// An I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ScaffoldError::Io {
            path: path.into(),
            source,
        }
    }

    /// What to do about it, where there is advice.
    pub fn hint(&self) -> Option<&str> {
        match self {
            ScaffoldError::Model { hint, .. } | ScaffoldError::Usage { hint, .. } => {
                Some(hint.as_str())
            }
            ScaffoldError::Template { .. } => Some(
                "fix the template set (see docs/scaffold.md, \"Writing a template\"), or choose another template",
            ),
            ScaffoldError::Io { .. } => None,
        }
    }
}

/// Result with the scaffolding error.
pub type Result<T> = std::result::Result<T, ScaffoldError>;
