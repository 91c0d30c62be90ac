//! coArchi repositories (Archi's collaboration plugin), read as one model.
//!
//! coArchi 2 keeps the whole model as one Archi file, `model.archimate`, at the repository's
//! root: it is read as Archi's native format. coArchi 1 splits it into one XML file per concept
//! under `model/`: `model/folder.xml` holds the model (`ArchimateModel`), each folder has a
//! `folder.xml` (`Folder`), and every other file is one element, relationship or diagram whose
//! root element is named after its class (`BusinessActor`, `ServingRelationship`,
//! `ArchimateDiagramModel`). Those files are plain EMF serialisations: single-valued text is an
//! attribute (`documentation`, a note's `content`), and references are child elements with an
//! `href` of the form `File_id.xml#id`. This module turns such a repository into the native
//! format's document, concept by concept, and reads that with [`crate::native`], so both
//! layouts get the same checks, conversions (Archi 3 models) and diagrams as an `.archimate`
//! file. The type of a concept is read from its root element, never from its file name (coArchi
//! does not rename a file when its concept's type changes).

use std::path::{Path, PathBuf};

use plumb_base::escape::xml as esc;
use plumb_base::xml::{XmlEvent, xml_events};

use crate::error::{ModelError, Result};
use crate::model::Model;
use crate::native::NAMESPACE;

/// The folders coArchi 1 keeps under `model/`, in the order Archi shows them.
const TOP_FOLDERS: [&str; 9] = [
    "strategy",
    "business",
    "application",
    "technology",
    "motivation",
    "implementation_migration",
    "other",
    "relations",
    "diagrams",
];
/// The most files a repository may hold (the largest public coArchi models have a few thousand).
const MAX_FILES: usize = 200_000;
/// The most nested folders.
const MAX_FOLDER_DEPTH: usize = 64;
/// The size of the document the files become, at most (the native reader's own input limit).
const MAX_DOCUMENT: usize = plumb_base::input::MAX_INPUT_BYTES;
/// One file's size, at most.
const MAX_FILE: u64 = plumb_base::input::MAX_INPUT_BYTES as u64;
/// All files' sizes together, at most (files whose content is dropped count too).
const MAX_READ: u64 = 256 * 1024 * 1024;
/// Tags in one file, at most (a diagram of 100,000 boxes is far past any drawing).
const MAX_TAGS: usize = 200_000;

/// What a path is, without following a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    Missing,
    /// A symbolic link, device, socket or pipe: never read.
    Other,
}

fn kind_of(path: &Path) -> Kind {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Kind::File,
        Ok(m) if m.file_type().is_dir() => Kind::Dir,
        Ok(_) => Kind::Other,
        Err(_) => Kind::Missing,
    }
}

/// Refuses anything at `path` that is not what it should be: a symbolic link could point
/// anywhere on the machine (another checkout's model), a pipe would block the read.
fn must_be(path: &Path, want: Kind) -> Result<()> {
    match kind_of(path) {
        k if k == want => Ok(()),
        Kind::Other => Err(ModelError::new(
            &path.display().to_string(),
            "a symbolic link or special file in a coArchi repository is refused: it could point anywhere",
        )),
        _ => Err(ModelError::new(
            &path.display().to_string(),
            format!(
                "expected a {}",
                if want == Kind::Dir {
                    "directory"
                } else {
                    "file"
                }
            ),
        )),
    }
}

/// Which coArchi layout a directory holds, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// coArchi 1: `model/folder.xml` and one file per concept.
    SplitFiles,
    /// coArchi 2: one `model.archimate` at the root.
    SingleFile,
}

/// The coArchi layout of `dir`, or `None` when it is not a coArchi repository.
pub fn layout(dir: &Path) -> Option<Layout> {
    // Told without following links; `read` then refuses a link where a file or folder should be.
    if kind_of(&dir.join("model").join("folder.xml")) != Kind::Missing {
        Some(Layout::SplitFiles)
    } else if kind_of(&dir.join("model.archimate")) != Kind::Missing {
        Some(Layout::SingleFile)
    } else {
        None
    }
}

/// Reads a coArchi repository (either layout) as one model; an Archi 3 model is converted as
/// [`crate::native::read`] converts it, or refused when `convert` is false.
pub fn read(dir: &Path, convert: bool) -> Result<Model> {
    match layout(dir) {
        Some(Layout::SingleFile) => {
            let file = dir.join("model.archimate");
            let name = file.display().to_string();
            must_be(&file, Kind::File)?;
            let bytes = read_capped(&file, &mut 0)?;
            crate::native::read_converting(&name, &bytes, convert)
        }
        Some(Layout::SplitFiles) => {
            let name = dir.join("model").display().to_string();
            let doc = document(dir)?;
            let mut m = crate::native::read_converting(
                &format!("{name} (coArchi)"),
                doc.as_bytes(),
                convert,
            )?;
            // Lines would point into the assembled document, not into the concept's own file:
            // findings name the repository instead.
            for e in &mut m.elements {
                e.line = None;
            }
            for r in &mut m.relationships {
                r.line = None;
            }
            Ok(m)
        }
        None => Err(ModelError::new(
            &dir.display().to_string(),
            "not a coArchi repository: neither model/folder.xml (coArchi 1) nor model.archimate (coArchi 2) is there",
        )),
    }
}

/// One XML element of a coArchi file, with its attributes and children.
#[derive(Debug, Default)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Tag>,
    line: u64,
}

impl Tag {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn child(&self, name: &str) -> Option<&Tag> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The id a reference child (`<source href="File_id.xml#id"/>`) points at.
    fn href_id(&self, child: &str) -> Option<&str> {
        let href = self.child(child)?.attr("href")?;
        href.rsplit_once('#').map(|(_, id)| id)
    }
}

/// Reads a regular file of at most [`MAX_FILE`] bytes, adding its size to `total` (at most
/// [`MAX_READ`]); the size is checked before anything is read.
fn read_capped(path: &Path, total: &mut u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let name = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| ModelError::new(&name, e.to_string()))?;
    let size = f
        .metadata()
        .map_err(|e| ModelError::new(&name, e.to_string()))?
        .len();
    *total = total.saturating_add(size);
    if size > MAX_FILE || *total > MAX_READ {
        return Err(ModelError::new(
            &name,
            format!(
                "too large: a coArchi file may hold {MAX_FILE} bytes and a repository {MAX_READ}"
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    f.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ModelError::new(&name, e.to_string()))?;
    Ok(bytes)
}

/// An XML name as coArchi writes them (ASCII letters, digits, `_`, `-`, `.`, starting with a
/// letter or `_`): element and attribute names from a file go into the assembled document, so
/// anything else (a quote, a `?`, a space) is refused rather than carried into it.
fn plain_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Parses one coArchi file into its root tag.
fn parse(path: &Path, total: &mut u64) -> Result<Tag> {
    let name = path.display().to_string();
    must_be(path, Kind::File)?;
    let bytes = read_capped(path, total)?;
    plumb_base::input::text(&name, &bytes)?;
    let mut stack: Vec<Tag> = Vec::new();
    let mut root = None;
    let mut tags = 0usize;
    xml_events(&name, &bytes, |ev| {
        match ev {
            XmlEvent::Start(e) => {
                tags += 1;
                if tags > MAX_TAGS {
                    return Err(plumb_base::input::InputError::at(
                        &name,
                        e.line,
                        format!("more than {MAX_TAGS} elements in one file"),
                    ));
                }
                if !plain_name(&e.name) || e.attrs.iter().any(|(k, _)| !plain_name(k)) {
                    return Err(plumb_base::input::InputError::at(
                        &name,
                        e.line,
                        format!(
                            "<{}> is not an element coArchi writes: its name or an attribute name has characters no coArchi file has",
                            e.name
                        ),
                    ));
                }
                if root.is_some() && stack.is_empty() {
                    return Err(plumb_base::input::InputError::at(
                        &name,
                        e.line,
                        "a second root element: one concept per file".to_string(),
                    ));
                }
                stack.push(Tag {
                    name: e.name,
                    attrs: e.attrs,
                    children: Vec::new(),
                    line: e.line,
                })
            }
            XmlEvent::End(_) => {
                if let Some(t) = stack.pop() {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(t),
                        None => root = Some(t),
                    }
                }
            }
            // coArchi keeps text in attributes; element text (whitespace) carries nothing.
            XmlEvent::Text(_) => {}
        }
        Ok(())
    })?;
    root.ok_or_else(|| ModelError::new(&name, "empty XML document"))
}

/// The attributes of `t` as they are, except those in `skip`, escaped for the document.
fn copied(t: &Tag, skip: &[&str]) -> String {
    let mut s = String::new();
    for (k, v) in &t.attrs {
        if skip.contains(&k.as_str()) || k == "archimate" || k == "xsi" {
            continue;
        }
        s.push_str(&format!(" {k}=\"{}\"", esc(v)));
    }
    s
}

/// What is being assembled: the document and how many files went in.
struct Builder {
    root: PathBuf,
    out: String,
    /// Files and directories met.
    files: usize,
    /// Bytes read.
    read: u64,
}

/// The native document for a coArchi 1 repository.
fn document(dir: &Path) -> Result<String> {
    let model_dir = dir.join("model");
    must_be(&model_dir, Kind::Dir)?;
    let mut read = 0;
    let top = parse(&model_dir.join("folder.xml"), &mut read)?;
    let name = model_dir.join("folder.xml").display().to_string();
    if top.name != "ArchimateModel" || top.attr("archimate") != Some(NAMESPACE) {
        return Err(ModelError::new(
            &name,
            format!(
                "not a coArchi model: the root is <{}> (expected archimate:ArchimateModel in {NAMESPACE})",
                top.name
            ),
        ));
    }
    let mut b = Builder {
        root: model_dir.clone(),
        out: String::new(),
        files: 1,
        read,
    };
    b.out.push_str(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<archimate:model xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:archimate=\"{NAMESPACE}\"{}>\n",
        copied(&top, &["purpose"])
    ));
    for f in TOP_FOLDERS {
        let d = model_dir.join(f);
        if kind_of(&d) != Kind::Missing {
            must_be(&d, Kind::Dir)?;
            b.folder(&d, 0)?;
        }
    }
    if let Some(p) = top.attr("purpose") {
        b.out.push_str(&format!("<purpose>{}</purpose>\n", esc(p)));
    }
    properties(&mut b.out, &top);
    b.out.push_str("</archimate:model>\n");
    Ok(b.out)
}

/// `<property>`s from coArchi's `<properties key= value=/>` children.
fn properties(out: &mut String, t: &Tag) {
    for p in t.children.iter().filter(|c| c.name == "properties") {
        out.push_str(&format!(
            "<property key=\"{}\" value=\"{}\"/>\n",
            esc(p.attr("key").unwrap_or_default()),
            esc(p.attr("value").unwrap_or_default())
        ));
    }
}

impl Builder {
    fn shown(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .map(|r| format!("model/{}", r.display()))
            .unwrap_or_else(|_| p.display().to_string())
    }

    /// One folder: its `folder.xml`, then its files (sorted, so the same repository always
    /// gives the same model), then its subfolders.
    fn folder(&mut self, dir: &Path, depth: usize) -> Result<()> {
        let shown = self.shown(dir);
        if depth > MAX_FOLDER_DEPTH {
            return Err(ModelError::new(
                &shown,
                format!("folders nested more than {MAX_FOLDER_DEPTH} deep"),
            ));
        }
        let meta = dir.join("folder.xml");
        let folder = if kind_of(&meta) != Kind::Missing {
            self.count(&meta)?;
            Some(parse(&meta, &mut self.read)?)
        } else {
            None
        };
        let attrs = match &folder {
            Some(f) if f.name == "Folder" => copied(f, &["documentation"]),
            Some(f) => {
                return Err(ModelError::new(
                    &self.shown(&meta),
                    format!("expected a Folder, found <{}>", f.name),
                ));
            }
            None => String::new(),
        };
        self.out.push_str(&format!("<folder{attrs}>\n"));
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| ModelError::new(&shown, e.to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|e| ModelError::new(&shown, e.to_string()))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| ModelError::new(&self.shown(&path), e.to_string()))?;
            // Every entry counts, read or not: a directory of millions of files is refused.
            self.count(&path)?;
            if !kind.is_dir() && !kind.is_file() {
                return Err(ModelError::new(
                    &self.shown(&path),
                    "a symbolic link or special file in a coArchi repository is refused: it could point anywhere",
                ));
            }
            if kind.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n != "folder.xml")
                && path.extension().is_some_and(|e| e == "xml")
            {
                files.push(path);
            }
        }
        files.sort();
        dirs.sort();
        for f in files {
            self.check_size(&f)?;
            let t = parse(&f, &mut self.read)?;
            let shown = self.shown(&f);
            self.concept(&shown, &t)?;
        }
        for d in dirs {
            self.folder(&d, depth + 1)?;
        }
        if let Some(f) = &folder {
            if let Some(doc) = f.attr("documentation") {
                self.out
                    .push_str(&format!("<documentation>{}</documentation>\n", esc(doc)));
            }
            properties(&mut self.out, f);
        }
        self.out.push_str("</folder>\n");
        Ok(())
    }

    fn count(&mut self, path: &Path) -> Result<()> {
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(ModelError::new(
                &self.shown(path),
                format!("more than {MAX_FILES} files in the repository"),
            ));
        }
        self.check_size(path)
    }

    /// Refuses to go on once the assembled document is past its cap (checked before each
    /// file, so it ends at most one file's escaped size past it; the native reader then
    /// refuses it too).
    fn check_size(&self, path: &Path) -> Result<()> {
        if self.out.len() > MAX_DOCUMENT {
            return Err(ModelError::new(
                &self.shown(path),
                format!("the repository's model is larger than {MAX_DOCUMENT} bytes"),
            ));
        }
        Ok(())
    }

    /// One concept file: an element, a relationship or a diagram.
    fn concept(&mut self, file: &str, t: &Tag) -> Result<()> {
        let at =
            |msg: String| ModelError::from(plumb_base::input::InputError::at(file, t.line, msg));
        if t.attr("archimate") != Some(NAMESPACE) {
            return Err(at(format!(
                "<{}> is not in Archi's namespace {NAMESPACE}",
                t.name
            )));
        }
        if t.attr("id").is_none_or(str::is_empty) {
            return Err(at(format!("<{}> has no id", t.name)));
        }
        let ty = &t.name;
        if ty == "ArchimateDiagramModel" {
            self.out.push_str(&format!(
                "<element xsi:type=\"archimate:ArchimateDiagramModel\"{}>\n",
                copied(t, &["documentation"])
            ));
            for c in &t.children {
                self.diagram_part(c, 0);
            }
        } else if ty.ends_with("Relationship") {
            let end = |which: &str| {
                t.href_id(which)
                    .map(str::to_string)
                    .ok_or_else(|| at(format!("<{ty}> has no {which} reference")))
            };
            let (source, target) = (end("source")?, end("target")?);
            self.out.push_str(&format!(
                "<element xsi:type=\"archimate:{ty}\"{} source=\"{}\" target=\"{}\">\n",
                copied(t, &["documentation", "source", "target"]),
                esc(&source),
                esc(&target)
            ));
        } else {
            self.out.push_str(&format!(
                "<element xsi:type=\"archimate:{ty}\"{}>\n",
                copied(t, &["documentation"])
            ));
        }
        if let Some(doc) = t.attr("documentation") {
            self.out
                .push_str(&format!("<documentation>{}</documentation>\n", esc(doc)));
        }
        properties(&mut self.out, t);
        self.out.push_str("</element>\n");
        Ok(())
    }

    /// A part of a diagram, renamed from coArchi's class names to Archi's file names: a
    /// `children` node becomes a `child` (its element a reference attribute), a
    /// `sourceConnections` a `sourceConnection`, `bendpoints` a `bendpoint`, a note's content
    /// an element. Anything else in a diagram is kept out (Archi's styles and features).
    fn diagram_part(&mut self, t: &Tag, depth: usize) {
        if depth > plumb_base::xml::MAX_XML_DEPTH {
            return;
        }
        let class = t
            .attr("type")
            .map(|v| v.strip_prefix("archimate:").unwrap_or(v));
        match t.name.as_str() {
            "children" => {
                let (ty, extra) = match class {
                    Some("DiagramModelArchimateObject") => (
                        "archimate:DiagramObject",
                        t.href_id("archimateElement")
                            .map(|id| format!(" archimateElement=\"{}\"", esc(id)))
                            .unwrap_or_default(),
                    ),
                    Some("DiagramModelGroup") => ("archimate:Group", String::new()),
                    Some("DiagramModelNote") => ("archimate:Note", String::new()),
                    Some("DiagramModelReference") => (
                        "archimate:DiagramModelReference",
                        t.href_id("model")
                            .map(|id| format!(" model=\"{}\"", esc(id)))
                            .unwrap_or_default(),
                    ),
                    Some(other) => (other, String::new()),
                    None => ("archimate:Note", String::new()),
                };
                self.out.push_str(&format!(
                    "<child xsi:type=\"{}\"{}{extra}>\n",
                    esc(ty),
                    copied(
                        t,
                        &["type", "content", "documentation", "targetConnections"]
                    )
                ));
                if let Some(c) = t.attr("content") {
                    self.out
                        .push_str(&format!("<content>{}</content>\n", esc(c)));
                }
                for c in &t.children {
                    self.diagram_part(c, depth + 1);
                }
                self.out.push_str("</child>\n");
            }
            "bounds" => self
                .out
                .push_str(&format!("<bounds{}/>\n", copied(t, &["type"]))),
            "sourceConnections" => {
                let (ty, extra) = match class {
                    Some("DiagramModelArchimateConnection") => (
                        "archimate:Connection",
                        t.href_id("archimateRelationship")
                            .map(|id| format!(" archimateRelationship=\"{}\"", esc(id)))
                            .unwrap_or_default(),
                    ),
                    _ => ("archimate:DiagramModelConnection", String::new()),
                };
                self.out.push_str(&format!(
                    "<sourceConnection xsi:type=\"{ty}\"{}{extra}>\n",
                    copied(t, &["type", "documentation"])
                ));
                for c in t.children.iter().filter(|c| c.name == "bendpoints") {
                    self.out
                        .push_str(&format!("<bendpoint{}/>\n", copied(c, &["type"])));
                }
                self.out.push_str("</sourceConnection>\n");
            }
            _ => {}
        }
    }
}
