//! The ESAs' incident-report JSON ("IR"): the document competent authorities accept for major
//! ICT-related incident reports (ITS 2025/302 Annex I in JSON). [`layout`] says where each
//! field goes, [`emit`] writes a report's fields there, [`rules`] enforces every per-stage and
//! conditional rule in code, and [`schema`] additionally validates against a schema file the
//! authority supplies.

pub mod cyb;
pub mod emit;
pub mod layout;
pub mod rules;
pub mod schema;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
pub use rules::Violation;

/// The IR version a document is written and checked for. The structure is the same in all
/// three; they differ in a few rules (see [`rules`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    /// IR-1.2: the submitting entity takes an LEI or another code, not both.
    V1_2,
    /// IR-1.2.1, the default: the submitting entity takes an LEI, a code or both.
    #[default]
    V1_2_1,
    /// IR-1.3 as authorities describe it (the file is not public): as 1.2.1, and the economic
    /// impact threshold (4.12) sent with its criterion in every report.
    V1_3,
}

impl Version {
    /// Parses `1.2`, `1.2.1` or `1.3`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim() {
            "1.2" => Ok(Version::V1_2),
            "1.2.1" => Ok(Version::V1_2_1),
            "1.3" => Ok(Version::V1_3),
            other => Err(Error::invalid(
                "IR version",
                format!("{other:?} is not a version Plumbline writes; use 1.2, 1.2.1 or 1.3"),
            )),
        }
    }

    /// The version as written, e.g. `1.2.1`.
    pub fn name(self) -> &'static str {
        match self {
            Version::V1_2 => "1.2",
            Version::V1_2_1 => "1.2.1",
            Version::V1_3 => "1.3",
        }
    }
}

/// The IR document for a report's fields and everything wrong with it: fields with no place
/// and every broken rule. An empty list means the document may be submitted.
pub fn document(fields: &Map<String, Value>, version: Version) -> (Value, Vec<Violation>) {
    let (doc, mut violations) = emit::document(fields);
    violations.extend(rules::check(&doc, version));
    (doc, violations)
}
