//! Parsers for the outputs of scanners and CI tools, into one normalised facts model
//! ([`facts::Facts`]) that policies evaluate.
//!
//! Every reader is strict about what it does not know (an unknown format version or shape is an
//! error, never a guess) and lenient about optional fields. Errors name the file, the line where
//! the format has lines, and the field.

pub mod change;
pub mod coverage;
pub mod detect;
pub mod error;
pub mod facts;
pub mod infra;
pub mod junit;
pub mod resilience;
pub mod sarif;
pub mod sbom;
pub mod secrets;
pub mod severity;
pub mod util;
pub mod vulns;

pub use detect::{Kind, ingest};
pub use error::IngestError;
pub use facts::Facts;
