//! The ingest error: which file, where, and what is wrong.

/// An input that could not be read (the type lives in `plumb_base::input`, shared with the
/// model readers).
pub use plumb_base::input::InputError as IngestError;

/// Result with the ingest error.
pub type Result<T> = std::result::Result<T, IngestError>;
