//! Bringing a repository on disk in line with a generation without losing the user's work.
//!
//! For every path the generation or the previous manifest knows, three digests decide: what
//! the generator writes now (`new`), what it wrote last time (`base`, from the manifest) and
//! what is on disk. A file still as generated is updated; a file the user edited is kept, and
//! if the generator also changed it that is a conflict: the newer version waits in
//! `.plumb/pending/` until the user merges it. Everything is decided before anything is
//! written; files are replaced atomically and the manifest is written last.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Result, ScaffoldError};
use crate::manifest::{self, FileRef, Manifest};
use crate::{Generation, sha256};

/// What happens to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// New file, written.
    Create,
    /// Still as last generated and the generator changed it: rewritten.
    Update,
    /// Already what the generator writes.
    Unchanged,
    /// Edited by the user; the generator did not change it: kept.
    KeepEdited,
    /// Deleted by the user; the generator did not change it: left deleted.
    KeepDeleted,
    /// Edited or deleted by the user and changed by the generator: kept, the generator's
    /// version put in `.plumb/pending/`.
    Conflict,
    /// No longer generated and still as generated: deleted.
    Remove,
    /// No longer generated but edited by the user: kept, and no longer tracked.
    Orphan,
    /// Not generated before, but present and different (only with `--force`): overwritten.
    Overwrite,
}

impl Action {
    /// Whether the action writes or deletes a file in the repository.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Action::Create | Action::Update | Action::Remove | Action::Overwrite
        )
    }
}

/// The decision for one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Path relative to the repository.
    pub path: String,
    /// What happens.
    pub action: Action,
    /// Whether the file is managed (must stay as generated).
    pub managed: bool,
    /// Why, for conflicts and kept files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Entry {
    /// Whether this difference is drift for `--check`: anything regenerating would change, a
    /// missing file, a conflict; an edit only if the file is managed (service code is the
    /// team's).
    pub fn is_drift(&self) -> bool {
        match self.action {
            Action::Unchanged => false,
            Action::KeepEdited | Action::Orphan => self.managed,
            _ => true,
        }
    }
}

/// Every decision, and the manifest to write after applying them.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Decisions sorted by path.
    pub entries: Vec<Entry>,
    /// The manifest after the run.
    pub manifest: Manifest,
    /// Whether the repository directory is new (or empty).
    pub fresh: bool,
}

impl Plan {
    /// Entries with a given action.
    pub fn count(&self, a: Action) -> usize {
        self.entries.iter().filter(|e| e.action == a).count()
    }
}

/// What is on disk at a generated path: None if nothing, else the content digest and whether
/// it is executable. Refuses what plumb must never write through or over: a symbolic link on
/// the way (it could lead out of the repository) and a directory where a file belongs.
fn on_disk(root: &Path, rel: &str) -> Result<Option<(String, bool)>> {
    let mut p = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        p.push(part);
        let meta = match std::fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
                return Err(ScaffoldError::usage(
                    format!(
                        "{}: a file stands where the generator needs a directory",
                        p.display()
                    ),
                    "move it out of the way",
                ));
            }
            Err(e) => return Err(ScaffoldError::io(&p, e)),
        };
        if meta.file_type().is_symlink() {
            return Err(ScaffoldError::usage(
                format!("{} is a symbolic link", p.display()),
                "plumb scaffold does not write through links (one could lead out of the repository); replace it with the real directory or file",
            ));
        }
        let last = i + 1 == parts.len();
        if last && meta.is_dir() {
            return Err(ScaffoldError::usage(
                format!(
                    "{} is a directory, where the generator writes a file",
                    p.display()
                ),
                "move it out of the way",
            ));
        }
        if !last && !meta.is_dir() {
            return Err(ScaffoldError::usage(
                format!(
                    "{}: a file stands where the generator needs a directory",
                    p.display()
                ),
                "move it out of the way",
            ));
        }
        if last {
            let bytes = std::fs::read(&p).map_err(|e| ScaffoldError::io(&p, e))?;
            return Ok(Some((sha256(&bytes), is_executable(&meta))));
        }
    }
    Ok(None)
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}

/// Whether a directory is missing or empty.
pub fn is_empty_dir(dir: &Path) -> Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut it) => Ok(it.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(ScaffoldError::usage(
            format!("{} is a file, not a directory", dir.display()),
            "give --out a directory",
        )),
        Err(e) => Err(ScaffoldError::io(dir, e)),
    }
}

/// Decides what applying `generation` to `root` does. `resolved` are paths whose pending
/// version the user has merged (their current content becomes the new base).
pub fn plan(
    root: &Path,
    generation: &Generation,
    force: bool,
    resolved: &[String],
) -> Result<Plan> {
    is_empty_dir(root)?;
    let previous = Manifest::read(root)?;
    plan_with(root, generation, previous.as_ref(), force, resolved)
}

/// [`plan`] with the repository's manifest already read (`Manifest::read`).
pub fn plan_with(
    root: &Path,
    generation: &Generation,
    previous: Option<&Manifest>,
    force: bool,
    resolved: &[String],
) -> Result<Plan> {
    let fresh = is_empty_dir(root)?;
    if previous.is_none() && !fresh && !force {
        return Err(ScaffoldError::usage(
            format!(
                "{} is not empty and holds no generation manifest ({})",
                root.display(),
                manifest::PATH
            ),
            "choose an empty or new directory, or pass --force to generate into it (files in the way are overwritten)",
        ));
    }
    for r in resolved {
        let pending = previous
            .and_then(|m| m.file(r))
            .and_then(|f| f.pending.as_ref());
        if pending.is_none() {
            return Err(ScaffoldError::usage(
                format!("--resolved {r}: no generated version of it is waiting to be merged"),
                format!("see {}/ for the files waiting", manifest::PENDING),
            ));
        }
    }
    let mut paths: BTreeSet<&str> = generation.files.keys().map(String::as_str).collect();
    if let Some(p) = previous {
        paths.extend(p.files.iter().map(|f| f.path.as_str()));
    }
    let mut entries = Vec::new();
    let mut files: Vec<FileRef> = Vec::new();
    for path in paths {
        let new = generation.files.get(path);
        let old = previous.and_then(|m| m.file(path));
        let disk = on_disk(root, path)?;
        // A generated file whose executable bit is wrong is not as generated.
        let mode_ok = match (new, &disk) {
            (Some(f), Some((_, x))) => f.executable == *x || cfg!(not(unix)),
            _ => true,
        };
        let on_disk = disk.map(|(d, _)| d);
        let new_digest = new.map(|f| sha256(&f.body));
        // After --resolved, the version the user merged becomes the base.
        // An empty digest records a file that was in the way and never generated.
        let base: Option<String> = old
            .map(|o| {
                if resolved.iter().any(|r| r == path) {
                    o.pending.clone().unwrap_or_else(|| o.sha256.clone())
                } else {
                    o.sha256.clone()
                }
            })
            .filter(|b| !b.is_empty());
        let managed = new
            .map(|f| f.managed)
            .or(old.map(|o| o.managed))
            .unwrap_or(false);
        let mut note = None;
        let mut pending = None;
        let action = match (&new_digest, &base, &on_disk) {
            (Some(n), _, Some(d)) if n == d && mode_ok => Action::Unchanged,
            (Some(n), _, Some(d)) if n == d => Action::Update,
            (Some(_), None, None) => Action::Create,
            (Some(_), None, Some(_)) => {
                if force {
                    Action::Overwrite
                } else {
                    note = Some("exists, but was not generated by plumb scaffold".into());
                    pending = new_digest.clone();
                    Action::Conflict
                }
            }
            (Some(n), Some(b), d) => match d {
                Some(d) if d == b => Action::Update,
                None if n == b => {
                    note = Some("you deleted it; the generator's version is unchanged".into());
                    Action::KeepDeleted
                }
                Some(_) if n == b => {
                    note = Some("edited by you; the generator's version is unchanged".into());
                    Action::KeepEdited
                }
                _ => {
                    note = Some(format!(
                        "{} by you and changed by the generator: merge {}/{path}, then run again with --resolved {path}",
                        if d.is_none() { "deleted" } else { "edited" },
                        manifest::PENDING
                    ));
                    pending = new_digest.clone();
                    Action::Conflict
                }
            },
            (None, Some(b), Some(d)) if d == b => Action::Remove,
            (None, _, None) => Action::Remove,
            (None, _, Some(_)) => {
                note =
                    Some("no longer generated and edited by you: kept, no longer tracked".into());
                Action::Orphan
            }
        };
        // The manifest's base: what the generator wrote last and the user has.
        if let Some(f) = new {
            let sha = match action {
                Action::Conflict | Action::KeepDeleted => base.clone().unwrap_or_default(),
                _ => new_digest.clone().expect("generated"),
            };
            files.push(FileRef {
                path: path.to_string(),
                sha256: sha,
                template: f.template.clone(),
                managed: f.managed,
                executable: f.executable,
                pending,
            });
        }
        // A file that was gone already has nothing to remove.
        if action == Action::Remove && on_disk.is_none() {
            continue;
        }
        entries.push(Entry {
            path: path.to_string(),
            action,
            managed,
            note,
        });
    }
    let mut manifest = generation.manifest.clone();
    manifest.files = files;
    Ok(Plan {
        entries,
        manifest,
        fresh,
    })
}

fn write_atomic(path: &Path, body: &[u8], executable: bool) -> Result<()> {
    let dir = path.parent().expect("inside the repository");
    std::fs::create_dir_all(dir).map_err(|e| ScaffoldError::io(dir, e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.plumb-tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(body)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if executable { 0o755 } else { 0o644 };
            f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(ScaffoldError::io(path, e));
    }
    Ok(())
}

/// Every file below a directory (none if it does not exist); links are not followed.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(ScaffoldError::io(&d, e)),
        };
        for e in entries {
            let e = e.map_err(|err| ScaffoldError::io(&d, err))?;
            let t = e
                .file_type()
                .map_err(|err| ScaffoldError::io(e.path(), err))?;
            if t.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    Ok(out)
}

/// Applies a plan. A new repository is built in a staging directory beside `root` and renamed
/// into place, so it appears whole or not at all; an existing one has each file replaced
/// atomically and the manifest written last.
pub fn apply(root: &Path, generation: &Generation, plan: &Plan) -> Result<()> {
    // `--out .` has no name to stage beside: work on the absolute path.
    let root = &std::path::absolute(root).map_err(|e| ScaffoldError::io(root, e))?;
    let target: PathBuf = if plan.fresh {
        let parent = root.parent().unwrap_or(Path::new("/"));
        std::fs::create_dir_all(parent).map_err(|e| ScaffoldError::io(parent, e))?;
        let name = root
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("repository");
        let staging = parent.join(format!(".{name}.plumb-staging-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| ScaffoldError::io(&staging, e))?;
        }
        staging
    } else {
        root.to_path_buf()
    };
    let result = write_plan(&target, generation, plan);
    if !plan.fresh {
        return result;
    }
    let placed = result.and_then(|()| {
        if root.exists() {
            // Empty (checked by plan); rename cannot replace a directory on every platform.
            std::fs::remove_dir(root).map_err(|e| ScaffoldError::io(root, e))?;
        }
        std::fs::rename(&target, root).map_err(|e| ScaffoldError::io(root, e))
    });
    if placed.is_err() {
        let _ = std::fs::remove_dir_all(&target);
        if !root.exists() {
            let _ = std::fs::create_dir_all(root);
        }
    }
    placed
}

fn write_plan(target: &Path, generation: &Generation, plan: &Plan) -> Result<()> {
    for e in &plan.entries {
        let p = target.join(&e.path);
        match e.action {
            Action::Create | Action::Update | Action::Overwrite => {
                let f = &generation.files[&e.path];
                write_atomic(&p, &f.body, f.executable)?;
            }
            Action::Remove => {
                std::fs::remove_file(&p).map_err(|err| ScaffoldError::io(&p, err))?;
            }
            Action::Conflict => {
                let f = &generation.files[&e.path];
                let pending = target.join(manifest::PENDING).join(&e.path);
                write_atomic(&pending, &f.body, f.executable)?;
            }
            _ => {}
        }
    }
    // Pending versions that are no longer waiting are removed.
    let waiting: std::collections::BTreeSet<&str> = plan
        .manifest
        .files
        .iter()
        .filter(|f| f.pending.is_some())
        .map(|f| f.path.as_str())
        .collect();
    let pending_root = target.join(manifest::PENDING);
    for p in files_under(&pending_root)? {
        let rel = p
            .strip_prefix(&pending_root)
            .expect("under the pending directory")
            .to_string_lossy()
            .replace('\\', "/");
        if !waiting.contains(rel.as_str()) {
            std::fs::remove_file(&p).map_err(|err| ScaffoldError::io(&p, err))?;
        }
    }
    write_atomic(
        &target.join(manifest::PATH),
        &plan.manifest.to_bytes(),
        false,
    )
}

/// Drift between a model's generation and a repository.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// The model digest recorded at the last generation.
    pub generated_from: String,
    /// The model digest now.
    pub model: String,
    /// Template sets whose version or content changed since (name, then, now).
    pub templates_changed: Vec<(String, String, String)>,
    /// Paths that differ, with what regenerating would do.
    pub entries: Vec<Entry>,
    /// Whether anything counts as drift (see [`check`]).
    pub drift: bool,
}

/// Compares a generation with the repository at `root` without writing anything. Drift is:
/// a file the model (or templates) would now change, add or remove; a generated file missing;
/// a conflict waiting; a managed file (pipelines, compliance, blueprint, runbooks) edited by
/// hand. Edits to unmanaged files (the services' code, which the team owns) are listed, not
/// counted.
pub fn check(root: &Path, generation: &Generation) -> Result<Drift> {
    let previous = Manifest::read(root)?.ok_or_else(|| {
        ScaffoldError::usage(
            format!(
                "{} holds no generation manifest ({})",
                root.display(),
                manifest::PATH
            ),
            "check a repository generated by plumb scaffold",
        )
    })?;
    let p = plan_with(root, generation, Some(&previous), false, &[])?;
    let entries: Vec<Entry> = p
        .entries
        .into_iter()
        .filter(|e| e.action != Action::Unchanged)
        .collect();
    let drift = entries.iter().any(Entry::is_drift);
    let templates_changed = generation
        .manifest
        .templates
        .iter()
        .filter_map(|t| {
            let before = previous.templates.iter().find(|x| x.name == t.name);
            match before {
                Some(b) if b.digest == t.digest => None,
                Some(b) => Some((t.name.clone(), b.version.clone(), t.version.clone())),
                None => Some((t.name.clone(), "-".into(), t.version.clone())),
            }
        })
        .collect();
    Ok(Drift {
        generated_from: previous.model.digest,
        model: generation.manifest.model.digest.clone(),
        templates_changed,
        entries,
        drift,
    })
}
