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
    if path.is_dir() {
        return dir_at_revision(path, rev);
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

/// The most a directory's archive at a revision may hold.
const MAX_ARCHIVE: u64 = 512 * 1024 * 1024;

/// A model directory (a coArchi repository, an Archi CSV export) at revision `rev`: its files
/// at that revision (`git archive REV .` from the directory, so paths are relative to it)
/// unpacked into a temporary directory and read from there. Links are unpacked as links and
/// the coArchi reader refuses them; nothing is written outside the temporary directory.
fn dir_at_revision(path: &Path, rev: &str) -> Result<plumb_model::Model, Failure> {
    use std::io::Read;
    let fail = |e: String| Failure::usage(format!("{} at {rev}: {e}", path.display()));
    let mut child = std::process::Command::new("git")
        .arg("-C")
        .arg(path)
        .args(["archive", "--format=tar", rev, "."])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Failure::usage(format!("git: {e}")))?;
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let unpacked = match child.stdout.take() {
        Some(out) => {
            let mut archive = tar::Archive::new(out.take(MAX_ARCHIVE));
            archive.set_preserve_permissions(false);
            archive.set_preserve_mtime(false);
            archive.set_unpack_xattrs(false);
            archive.unpack(tmp.path()).map_err(|e| e.to_string())
        }
        None => Err("no output from git".to_string()),
    };
    let done = child
        .wait_with_output()
        .map_err(|e| Failure::usage(format!("git: {e}")))?;
    if !done.status.success() {
        return Err(fail(
            String::from_utf8_lossy(&done.stderr).trim().to_string(),
        ));
    }
    unpacked.map_err(fail)?;
    plumb_model::load(tmp.path())
        .map_err(|e| Failure::usage(format!("{} at {rev}: {e}", path.display())))
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
