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

/// Builds, checks and records the demo bank's register.
pub fn record(
    l: &mut Ledger,
    dir: &Path,
    model: &plumb_model::Model,
    now: DateTime<Utc>,
) -> Result<Registered, Failure> {
    let file = dir.join("register.yaml");
    std::fs::write(&file, REGISTER).map_err(|e| Failure::usage(e.to_string()))?;
    let f = plumb_register::file::parse(REGISTER).map_err(Failure::usage)?;
    let (p, t) = plumb_register::derive::derive(&f, Some(model))
        .map_err(|e| Failure::usage(format!("the demo register: {}", e.join("; "))))?;
    let built = plumb_register::package::write(&p, &t, now).map_err(Failure::usage)?;
    let package = dir.join(&built.file_name);
    crate::output::write_atomically(&package, &built.bytes)?;
    let contents = plumb_register::package::read_zip(&built.bytes).map_err(Failure::usage)?;
    let read =
        plumb_register::read::read(&contents, Some(&built.file_name)).map_err(Failure::usage)?;
    let mut findings = read.findings;
    findings.extend(plumb_register::check::check(&read.tables).map_err(Failure::usage)?);
    plumb_register::advice::with_model(&read.tables, model, &mut findings);
    let r = plumb_register::evidence::of(
        &built.file_name,
        &plumb_base::sha256_hex(&built.bytes),
        &p,
        &t,
        &findings,
        now,
    );
    let entry = plumb_register::evidence::record(l, &r, package.clone(), now)
        .map_err(|e| Failure::usage(e.to_string()))?;
    Ok(Registered {
        package,
        file,
        entry,
        rows: t.len(),
        blocking: r.blocking,
    })
}
