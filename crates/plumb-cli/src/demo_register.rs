//! The demo's Register of Information: the bank's register file (examples/register/) and its
//! model give the package, which is checked and recorded; the zip and the register file are
//! left in the demo's directory for the commands the demo suggests.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use plumb_ledger::Ledger;

use crate::output::Failure;

const REGISTER: &str = include_str!("../../../examples/register/register.yaml");

/// What the demo built.
pub struct Registered {
    /// The zip.
    pub package: PathBuf,
    /// The register file written beside it.
    pub file: PathBuf,
    /// Its entry in the ledger.
    pub entry: u64,
    /// Rows in all.
    pub rows: usize,
    /// Findings that would make the authority reject it.
    pub blocking: usize,
}

/// Builds, checks and records the demo bank's register, as `plumb register build --record`
/// does, with the demo's model file.
pub fn record(
    l: &mut Ledger,
    dir: &Path,
    model: &Path,
    now: DateTime<Utc>,
) -> Result<Registered, Failure> {
    let file = dir.join("register.yaml");
    std::fs::write(&file, REGISTER).map_err(|e| Failure::usage(e.to_string()))?;
    let b = crate::register_package::build_package(&file, Some(model), None, dir, now)?;
    let entry = crate::register_package::record_built(l, &b, now)?;
    let blocking = b
        .findings
        .iter()
        .filter(|f| f.severity == plumb_register::finding::Severity::Blocking)
        .count();
    Ok(Registered {
        package: b.path,
        file,
        entry,
        rows: b.tables.len(),
        blocking,
    })
}
