//! `plumb scaffold --verify`: runs the generated repository's own quality gate,
//! `scripts/verify`, which builds every service and runs its unit and integration tests
//! against PostgreSQL (a throwaway server from the local binaries when `DATABASE_URL` is not
//! set). Its output streams to standard error (standard output stays for plumb's own report,
//! which may be JSON); the result is the script's exit status.

use std::path::Path;
use std::process::Command;

use crate::error::{Result, ScaffoldError};

/// The script every generated repository has.
pub const SCRIPT: &str = "scripts/verify";

/// Runs `scripts/verify` in `root`. Returns whether it passed.
pub fn run(root: &Path) -> Result<bool> {
    let script = root.join(SCRIPT);
    if !script.is_file() {
        return Err(ScaffoldError::usage(
            format!("{} is missing", script.display()),
            "generate the repository first (plumb scaffold --model MODEL --out DIR)",
        ));
    }
    let status = Command::new("bash")
        .arg(SCRIPT)
        .current_dir(root)
        // This is the first local run the generated scripts ask for: it writes the Cargo.lock
        // of the Rust services, to be committed. The scripts refuse to resolve a missing lock
        // when `CI` is set (a pipeline must build what was committed), which would make
        // `plumb scaffold --verify` of a fresh repository fail inside any CI job.
        .env_remove("CI")
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| ScaffoldError::io(&script, e))?;
    Ok(status.success())
}
