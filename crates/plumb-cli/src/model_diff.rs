//! `plumb model diff`: reads the two versions (files, or a file and its version at a git
//! revision), asks `plumb_model::diff` what changed, prints Markdown or JSON. Output only.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{Format, ModelDiffArgs};
use crate::output::{Failure, emit};

/// The model file's version at git revision `rev`, read with `git show REV:./FILE` from the
/// file's own directory, so the path needs no knowledge of the repository's root.
fn at_revision(path: &Path, rev: &str) -> Result<plumb_model::Model, Failure> {
    if rev.starts_with('-') || rev.contains(':') {
        return Err(Failure::usage(format!(
            "--git {rev:?}: give a branch, tag or commit"
        )));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .ok_or_else(|| Failure::usage(format!("{}: not a file name", path.display())))?;
    let o = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", &format!("{rev}:./{file}")])
        .output()
        .map_err(|e| Failure::usage(format!("git: {e}")))?;
    if !o.status.success() {
        return Err(Failure::usage(format!(
            "{} at {rev}: {}",
            path.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    plumb_model::read_bytes(&format!("{}@{rev}", path.display()), &ext, &o.stdout)
        .map_err(|e| Failure::usage(e.to_string()))
}

fn load(path: &Path) -> Result<plumb_model::Model, Failure> {
    plumb_model::load(path).map_err(|e| Failure::usage(e.to_string()))
}

/// Runs `plumb model diff`.
pub fn run(format: Format, a: &ModelDiffArgs) -> Result<ExitCode, Failure> {
    let (old, new) = match (&a.git, a.models.as_slice()) {
        (Some(rev), [file]) => (at_revision(file, rev)?, load(file)?),
        (None, [old, new]) => (load(old)?, load(new)?),
        (Some(_), _) => {
            return Err(Failure::usage(
                "with --git give one model file: it is compared with its version at the revision",
            ));
        }
        (None, _) => return Err(Failure::usage("give the old model and the new one")),
    };
    let options =
        plumb_model::check::Options::new(a.concentration_threshold).map_err(Failure::usage)?;
    let d = plumb_model::diff::diff(&old, &new, options);
    let code = emit(
        format,
        || d.to_markdown(),
        serde_json::to_value(&d).unwrap_or_default(),
    )?;
    if a.fail_on.as_deref() == Some("new-errors") && d.new_errors() > 0 {
        if format != Format::Json {
            eprintln!(
                "error: the change introduces {} error-level finding(s)",
                d.new_errors()
            );
        }
        return Ok(ExitCode::from(1));
    }
    Ok(code)
}
