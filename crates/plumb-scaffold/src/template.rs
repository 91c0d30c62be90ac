//! Template sets: a `template.yaml` describing the set and a `files/` tree. Files ending in
//! `.j2` are rendered with MiniJinja (suffix removed); others are copied as they are. A path
//! holding `__service__` is produced once per service (the segment becomes the service name);
//! other paths once. Delimiters are `[= =]`, `[% %]` and `[# #]`, so GitHub Actions' `${{ }}`,
//! Jinja2 pages of generated Python services and Rust's `{}` pass through untouched.
//!
//! The sets shipped with Plumbline are embedded at build time; `--templates DIR` adds a bank's
//! own sets (or replaces a shipped one of the same name).

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, syntax::SyntaxConfig};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Result, ScaffoldError};
use crate::soc2;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The name of the repository template set (the files around the services).
pub const REPOSITORY: &str = "repository";
/// Placeholder path segment replaced by the service name.
pub const PER_SERVICE: &str = "__service__";
/// Largest template file accepted (bytes).
pub const MAX_FILE: usize = 1 << 20;

/// What a set generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The repository around the services (one set, always applied).
    Repository,
    /// A service template chosen by components' `plumb:template`.
    Service,
}

/// A control the generated files implement, cited in the compliance mappings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Identifier, unique within the set.
    pub id: String,
    /// Short title.
    pub title: String,
    /// What the generated code or document does.
    pub description: String,
    /// Generated files that implement it (paths may hold `__service__`).
    #[serde(default)]
    pub files: Vec<String>,
    /// Further files, generated only for services with an onboarding workflow.
    #[serde(default)]
    pub onboarding_files: Vec<String>,
    /// The control exists only for services with an onboarding workflow.
    #[serde(default)]
    pub onboarding: bool,
    /// DORA and technical-standard references (checked against plumb-dora).
    #[serde(default)]
    pub dora: Vec<String>,
    /// SOC 2 Trust Services Criteria.
    #[serde(default)]
    pub soc2: Vec<String>,
}

/// `template.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Set name (what `plumb:template` names).
    pub name: String,
    /// Version, recorded in the generation manifest.
    pub version: String,
    /// Repository or service.
    pub kind: Kind,
    /// One line for `plumb scaffold --list-templates`.
    pub description: String,
    /// Language and framework, for people.
    #[serde(default)]
    pub language: Option<String>,
    /// Generated paths (gitignore-style patterns) that must stay as generated: editing them is
    /// drift for `plumb scaffold --check`. Other files are starting points the team owns.
    #[serde(default)]
    pub managed: Vec<String>,
    /// Service names this template cannot generate (keywords of its language, the crates or
    /// packages it depends on).
    #[serde(default)]
    pub reserved: Vec<String>,
    /// Generated paths (patterns) written with the executable bit.
    #[serde(default)]
    pub executable: Vec<String>,
    /// Controls the generated files implement.
    #[serde(default)]
    pub controls: Vec<Control>,
}

/// One file of a set.
#[derive(Debug, Clone)]
pub struct File {
    /// Path under `files/`, with `.j2` still on rendered files.
    pub path: String,
    /// Contents.
    pub body: Vec<u8>,
}

impl File {
    /// Whether the file is rendered (ends in `.j2`).
    pub fn rendered(&self) -> bool {
        self.path.ends_with(".j2")
    }

    /// The output path pattern (without `.j2`).
    pub fn target(&self) -> &str {
        self.path.strip_suffix(".j2").unwrap_or(&self.path)
    }
}

/// A loaded template set.
#[derive(Debug, Clone)]
pub struct Set {
    /// Its description.
    pub meta: Meta,
    /// Its files, sorted by path.
    pub files: Vec<File>,
    /// `embedded` or the directory it was read from.
    pub source: String,
    /// SHA-256 over the manifest and every file (path and bytes): changes when anything does.
    pub digest: String,
    /// The rendered files, parsed once when the set is loaded.
    env: Environment<'static>,
}

/// The template sets available to a run.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Sets by name.
    pub sets: BTreeMap<String, Set>,
}

fn terr(template: &str, file: &str, message: impl Into<String>) -> ScaffoldError {
    ScaffoldError::Template {
        template: template.into(),
        file: file.into(),
        line: None,
        message: message.into(),
    }
}

/// Checks a relative path inside a template or a generated repository: forward slashes, no
/// empty, `.` or `..` segments, not absolute, not under `.plumb/` (the manifest's place) or
/// `.git/` (whatever case: some file systems do not tell them apart).
pub fn check_relative(path: &str) -> std::result::Result<(), String> {
    if path.is_empty() || path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return Err(format!("{path:?} is not a relative path"));
    }
    if path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(format!("{path:?} holds an empty, . or .. segment"));
    }
    let first = path.split('/').next().unwrap_or("").to_ascii_lowercase();
    if first == ".plumb" {
        return Err(format!(
            "{path:?} is under .plumb/, which holds the generation manifest"
        ));
    }
    if first == ".git" {
        return Err(format!("{path:?} is under .git/, which belongs to git"));
    }
    Ok(())
}

impl Set {
    /// Builds a set from its `template.yaml` and files, checking everything a run relies on.
    pub fn new(source: String, manifest: &[u8], mut files: Vec<File>) -> Result<Set> {
        let text = std::str::from_utf8(manifest)
            .map_err(|_| terr(&source, "template.yaml", "is not UTF-8"))?;
        let meta: Meta = yaml_serde::from_str(text)
            .map_err(|e| terr(&source, "template.yaml", e.to_string()))?;
        let name = meta.name.clone();
        if crate::names::check_service(&name).is_err() && name != REPOSITORY {
            return Err(terr(
                &name,
                "template.yaml",
                format!("name {name:?} must be lower-case letters, digits and hyphens"),
            ));
        }
        if (meta.kind == Kind::Repository) != (name == REPOSITORY) {
            return Err(terr(
                &name,
                "template.yaml",
                format!("only the set named {REPOSITORY:?} has kind repository"),
            ));
        }
        let mut ids = std::collections::BTreeSet::new();
        for c in &meta.controls {
            if !ids.insert(c.id.as_str()) {
                return Err(terr(
                    &name,
                    "template.yaml",
                    format!("control {} is listed twice", c.id),
                ));
            }
            for r in &c.dora {
                if !plumb_dora::is_known(r) {
                    return Err(terr(
                        &name,
                        "template.yaml",
                        format!(
                            "control {} cites {r:?}, which plumb-dora does not know",
                            c.id
                        ),
                    ));
                }
            }
            for s in &c.soc2 {
                if soc2::title(s).is_none() {
                    return Err(terr(
                        &name,
                        "template.yaml",
                        format!(
                            "control {} cites SOC 2 criterion {s:?}, which is not in the table",
                            c.id
                        ),
                    ));
                }
            }
        }
        if files.is_empty() {
            return Err(terr(&name, "files/", "the set has no files"));
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut h = Sha256::new();
        h.update(manifest);
        for f in &files {
            check_relative(f.target()).map_err(|e| terr(&name, &f.path, e))?;
            if f.body.len() > MAX_FILE {
                return Err(terr(
                    &name,
                    &f.path,
                    format!("is larger than {MAX_FILE} bytes"),
                ));
            }
            if f.rendered() && std::str::from_utf8(&f.body).is_err() {
                return Err(terr(&name, &f.path, "is rendered (.j2) but not UTF-8"));
            }
            h.update((f.path.len() as u64).to_be_bytes());
            h.update(f.path.as_bytes());
            h.update((f.body.len() as u64).to_be_bytes());
            h.update(&f.body);
        }
        let digest = crate::hex(&h.finalize());
        // Parse every template now, so a broken set fails before anything is generated.
        let mut env = environment();
        for f in files.iter().filter(|f| f.rendered()) {
            let src = String::from_utf8(f.body.clone()).expect("checked UTF-8");
            env.add_template_owned(f.path.clone(), src)
                .map_err(|e| template_error(&name, &f.path, &e))?;
        }
        Ok(Set {
            meta,
            files,
            source,
            digest,
            env,
        })
    }

    /// The MiniJinja environment holding the set's rendered files.
    pub fn environment(&self) -> &Environment<'static> {
        &self.env
    }

    /// Whether a generated path is managed (must stay as generated).
    pub fn is_managed(&self, path: &str) -> bool {
        self.meta
            .managed
            .iter()
            .any(|p| plumb_base::glob::pattern_matches(p, path))
    }

    /// Whether a generated path is executable.
    pub fn is_executable(&self, path: &str) -> bool {
        self.meta
            .executable
            .iter()
            .any(|p| plumb_base::glob::pattern_matches(p, path))
    }
}

/// Turns a MiniJinja error into a template error with the file and line.
pub fn template_error(template: &str, file: &str, e: &minijinja::Error) -> ScaffoldError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    ScaffoldError::Template {
        template: template.into(),
        file: e.name().unwrap_or(file).to_string(),
        line: e.line(),
        message,
    }
}

fn rust_str(s: String) -> String {
    format!("{s:?}")
}

fn json_str(v: minijinja::Value) -> std::result::Result<String, minijinja::Error> {
    let j = serde_json::to_value(&v).map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
    })?;
    Ok(serde_json::to_string(&j).expect("JSON value"))
}

/// A Terraform (HCL) string literal: JSON's escaping, plus HCL's own template sequences
/// (`${` and `%{` would interpolate) doubled so the value stays literal.
fn hcl_str(s: String) -> String {
    serde_json::to_string(&s)
        .unwrap_or_default()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

fn oneline(s: String) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The environment every set renders in: Plumbline's delimiters, strict undefined values, no
/// auto-escaping (templates choose the escaping of the language they write with the filters
/// `rust_str`, `json`, `hcl`, `md` and `html`; `oneline` folds text into one line for comments).
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .block_delimiters("[%", "%]")
            .variable_delimiters("[=", "=]")
            .comment_delimiters("[#", "#]")
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("valid delimiters"),
    );
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_filter("rust_str", rust_str);
    env.add_filter("json", json_str);
    env.add_filter("md", |s: String| plumb_base::escape::markdown_cell(&s));
    env.add_filter("oneline", oneline);
    env.add_filter("hcl", hcl_str);
    env.add_filter("html", |s: String| plumb_base::escape::xml(&s));
    env
}

fn group(source: &str, items: Vec<(String, Vec<u8>)>) -> Result<BTreeMap<String, Set>> {
    let mut by_set: BTreeMap<String, (Option<Vec<u8>>, Vec<File>)> = BTreeMap::new();
    for (path, body) in items {
        let Some((set, rest)) = path.split_once('/') else {
            continue;
        };
        let entry = by_set.entry(set.to_string()).or_default();
        if rest == "template.yaml" {
            entry.0 = Some(body);
        } else if let Some(f) = rest.strip_prefix("files/") {
            entry.1.push(File {
                path: f.to_string(),
                body,
            });
        }
    }
    let mut sets = BTreeMap::new();
    for (dir, (manifest, files)) in by_set {
        let manifest = manifest.ok_or_else(|| {
            terr(
                &dir,
                "template.yaml",
                format!("is missing in {source}/{dir}"),
            )
        })?;
        let set = Set::new(source.to_string(), &manifest, files)?;
        if set.meta.name != dir {
            return Err(terr(
                &dir,
                "template.yaml",
                format!(
                    "names the set {:?}, but its directory is {dir:?}",
                    set.meta.name
                ),
            ));
        }
        sets.insert(dir, set);
    }
    Ok(sets)
}

impl Catalog {
    /// The sets shipped in the binary.
    pub fn embedded() -> Catalog {
        let items = embedded::FILES
            .iter()
            .map(|(p, b)| (p.to_string(), b.to_vec()))
            .collect();
        Catalog {
            sets: group("embedded", items).expect("embedded templates are checked by tests"),
        }
    }

    /// The shipped sets plus those in `dir` (each a subdirectory with `template.yaml` and
    /// `files/`); a set in `dir` replaces a shipped set of the same name.
    pub fn with_dir(dir: &Path) -> Result<Catalog> {
        let mut cat = Catalog::embedded();
        let mut items = Vec::new();
        read_tree(dir, dir, &mut items, 0)?;
        if items.is_empty() {
            return Err(ScaffoldError::usage(
                format!("{} holds no template sets", dir.display()),
                "give a directory holding NAME/template.yaml and NAME/files/",
            ));
        }
        cat.sets.extend(group(&dir.display().to_string(), items)?);
        Ok(cat)
    }

    /// Names of the service template sets.
    pub fn service_templates(&self) -> Vec<String> {
        self.reserved_names().into_keys().collect()
    }

    /// Each service template set with the service names it cannot generate.
    pub fn reserved_names(&self) -> BTreeMap<String, Vec<String>> {
        self.sets
            .values()
            .filter(|s| s.meta.kind == Kind::Service)
            .map(|s| (s.meta.name.clone(), s.meta.reserved.clone()))
            .collect()
    }

    /// The repository set.
    pub fn repository(&self) -> &Set {
        self.sets
            .get(REPOSITORY)
            .expect("the embedded catalog holds the repository set")
    }
}

fn read_tree(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, Vec<u8>)>,
    depth: usize,
) -> Result<()> {
    if depth > 32 {
        return Err(ScaffoldError::usage(
            format!("{} nests directories deeper than 32 levels", dir.display()),
            "flatten the template set",
        ));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| ScaffoldError::io(dir, e))?;
    let mut paths: Vec<_> = entries
        .map(|e| e.map(|e| e.path()).map_err(|e| ScaffoldError::io(dir, e)))
        .collect::<Result<_>>()?;
    paths.sort();
    for p in paths {
        let meta = std::fs::symlink_metadata(&p).map_err(|e| ScaffoldError::io(&p, e))?;
        if meta.file_type().is_symlink() {
            return Err(ScaffoldError::usage(
                format!("{} is a symbolic link", p.display()),
                "template sets hold plain files only (a link could pull in files from anywhere)",
            ));
        }
        if meta.is_dir() {
            read_tree(root, &p, out, depth + 1)?;
        } else {
            if meta.len() > MAX_FILE as u64 {
                return Err(ScaffoldError::usage(
                    format!("{} is larger than {MAX_FILE} bytes", p.display()),
                    "template files are text; keep large assets out of the set",
                ));
            }
            let rel = p
                .strip_prefix(root)
                .expect("under root")
                .to_str()
                .ok_or_else(|| {
                    ScaffoldError::usage(
                        format!("{} is not a UTF-8 path", p.display()),
                        "rename it",
                    )
                })?
                .to_string();
            let body = std::fs::read(&p).map_err(|e| ScaffoldError::io(&p, e))?;
            out.push((rel, body));
        }
    }
    Ok(())
}
