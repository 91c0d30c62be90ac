//! The one error type of the ledger. Each variant says what class of problem it is so the
//! CLI and server can map it to an exit code or an HTTP status without parsing messages.

use std::path::PathBuf;

/// Everything that can go wrong in the ledger.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that does not parse or does not follow the format (caller's fault, exit 2).
    #[error("{0}")]
    Malformed(String),
    /// Input over a configured size cap.
    #[error("{what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: String,
        /// Its size in bytes.
        size: u64,
        /// The cap in bytes.
        limit: u64,
    },
    /// A signature that is missing, invalid, or made by a key the store does not trust.
    #[error("signature: {0}")]
    Signature(String),
    /// Something asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The store was written by a different, unknown version of plumb.
    #[error(
        "store format version {found} is not supported: this plumb reads version {supported}; use the plumb release that created the store"
    )]
    StoreVersion {
        /// The version found on disk or in the database.
        found: String,
        /// The version this build supports.
        supported: u32,
    },
    /// A file-system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The database refused or failed an operation.
    #[error("database: {0}")]
    Database(String),
    /// Stored data does not match what it should be (tampering or corruption).
    #[error("integrity: {0}")]
    Integrity(String),
    /// The request cannot be carried out in the store's current state.
    #[error("{0}")]
    State(String),
    /// The writer's queue is full; try again shortly.
    #[error("the log writer is busy; try again shortly")]
    Busy,
}

impl Error {
    /// Whether the error is the caller's input or usage (exit code 2) rather than a failed check.
    pub fn is_input(&self) -> bool {
        !matches!(self, Error::Integrity(_))
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Database(e.to_string())
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        // The Display of postgres::Error hides the server's message; the source has it.
        match e.as_db_error() {
            Some(db) => Error::Database(format!("{}: {}", db.code().code(), db.message())),
            None => Error::Database(e.to_string()),
        }
    }
}

/// Result with the ledger's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The first line of an answer from another service, trimmed and cut to 200 characters: what
/// goes into an error message of ours, never a whole (possibly hostile) body.
pub(crate) fn first_line(s: &str) -> &str {
    let line = s.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(200) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}
