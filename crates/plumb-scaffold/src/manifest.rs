//! The generation manifest, `.plumb/scaffold.json` in the generated repository: what was
//! generated from which model with which templates, and the digest of every generated file.
//! It is what lets a later run tell the user's edits from the generator's, and `--check` tell
//! drift. It holds no time, so the same inputs give the same bytes.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, ScaffoldError};

/// Where the manifest lives, relative to the repository root.
pub const PATH: &str = ".plumb/scaffold.json";
/// Where the generator's newer version of a conflicting file is put for merging.
pub const PENDING: &str = ".plumb/pending";
/// The manifest format.
pub const FORMAT: &str = "plumb-scaffold/v1";

/// The model a repository was generated from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    /// Model identifier.
    pub id: String,
    /// Model name.
    pub name: String,
    /// SHA-256 of its canonical form (the same digest `plumb model check` records).
    pub digest: String,
    /// The path it was read from, relative to the repository where it can be (so later runs
    /// from any directory find it), else absolute.
    pub source: String,
}

/// A template set used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Digest of the set.
    pub digest: String,
    /// `embedded` or the directory.
    pub source: String,
}

/// A generated service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRef {
    /// Service name.
    pub name: String,
    /// Component element id.
    pub component: String,
    /// Template.
    pub template: String,
}

/// A generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// Path relative to the repository root.
    pub path: String,
    /// SHA-256 of the content the generator last wrote (or would have written).
    pub sha256: String,
    /// The template set that produced it.
    pub template: String,
    /// Must stay as generated (editing it is drift).
    pub managed: bool,
    /// Written with the executable bit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub executable: bool,
    /// The generator's newer content, not written because the file was edited: waiting in
    /// `.plumb/pending/` to be merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
}

/// `path` as recorded in the manifest of the repository at `root`: relative to the repository
/// when both have absolute forms, so the record survives running plumb from elsewhere.
pub fn portable(root: &Path, path: &Path) -> String {
    let (Ok(r), Ok(p)) = (std::path::absolute(root), std::path::absolute(path)) else {
        return path.display().to_string();
    };
    let (r, p) = (normal(&r), normal(&p));
    let common = r.iter().zip(&p).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return p.join("/");
    }
    let mut parts: Vec<String> = vec!["..".into(); r.len() - common];
    parts.extend(p[common..].iter().cloned());
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// A path recorded by [`portable`], as a path usable from the current directory.
pub fn resolve(root: &Path, recorded: &str) -> std::path::PathBuf {
    let p = Path::new(recorded);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

/// The components of an absolute path with `.` and `..` folded.
fn normal(p: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
            std::path::Component::RootDir => out.push(String::new()),
            _ => {}
        }
    }
    out
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The plumb version that generated it.
    pub generator: String,
    /// Repository name.
    pub repository: String,
    /// The source model.
    pub model: ModelRef,
    /// Components asked for (empty: all that choose a template).
    #[serde(default)]
    pub components: Vec<String>,
    /// Template for components without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_template: Option<String>,
    /// A directory of the bank's own template sets (relative to the repository, like the model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates_dir: Option<String>,
    /// Template sets used.
    pub templates: Vec<TemplateRef>,
    /// Services generated.
    pub services: Vec<ServiceRef>,
    /// Files generated, sorted by path.
    pub files: Vec<FileRef>,
}

impl Manifest {
    /// The manifest as written: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = serde_json::to_string_pretty(self).expect("manifest serialises");
        s.push('\n');
        s.into_bytes()
    }

    /// Reads the manifest of a repository, if it has one.
    pub fn read(root: &Path) -> Result<Option<Manifest>> {
        let p = root.join(PATH);
        let bytes = match std::fs::read(&p) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ScaffoldError::io(p, e)),
        };
        let mut m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            ScaffoldError::usage(
                format!("{}: not a generation manifest: {e}", p.display()),
                "restore it from version control; without it plumb cannot tell your edits from generated files",
            )
        })?;
        if m.format != FORMAT {
            return Err(ScaffoldError::usage(
                format!(
                    "{}: manifest format {:?}, this plumb reads {FORMAT:?}",
                    p.display(),
                    m.format
                ),
                "use the plumb version that generated the repository",
            ));
        }
        for f in &m.files {
            crate::template::check_relative(&f.path).map_err(|e| {
                ScaffoldError::usage(
                    format!("{}: file entry {e}", p.display()),
                    "restore the manifest from version control",
                )
            })?;
        }
        m.files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Some(m))
    }

    /// The entry for a path.
    ///
    /// (The files are kept sorted by path.)
    pub fn file(&self, path: &str) -> Option<&FileRef> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_paths_are_relative_to_the_repository() {
        let root = Path::new("/work/bank/services");
        assert_eq!(
            portable(root, Path::new("/work/bank/model/bank.yaml")),
            "../model/bank.yaml"
        );
        assert_eq!(
            portable(root, Path::new("/work/bank/services/arch/m.xml")),
            "arch/m.xml"
        );
        assert_eq!(
            portable(root, Path::new("/work/bank/services/../m.yaml")),
            "../m.yaml"
        );
        assert_eq!(
            resolve(root, "../model/bank.yaml"),
            Path::new("/work/bank/services/../model/bank.yaml")
        );
        assert_eq!(resolve(root, "/abs/m.yaml"), Path::new("/abs/m.yaml"));
    }
}
