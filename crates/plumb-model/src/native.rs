//! Archi's own file format (`.archimate`, namespace `http://www.archimatetool.com/archimate`,
//! model versions 4.x and 5.x): folders holding `element`s whose `xsi:type` names the concept
//! (`archimate:BusinessActor`, `archimate:ServingRelationship`), with documentation and
//! `property key= value=` children. Read into the same model as the exchange format: elements,
//! relationships (access type, influence strength, directed associations), properties,
//! documentation, the folder tree as the organisation; identifiers that are no XML IDs (Archi's
//! bare UUIDs) get the `id-` prefix Archi's exchange export gives them. ArchiMate diagrams are
//! read into the exchange format's views ([`crate::native_views`]), so they are drawn, listed
//! and exported like an exchange file's; sketch and canvas views are skipped (noted), never
//! mistaken for concepts. Unknown concept types are refused by
//! name, as Archi refuses them; a file from a later Archi than this reader knows, another
//! namespace, or a zipped model with images is refused with the reason.

use plumb_base::xml::{XmlEvent, XmlStart, xml_events};

use crate::error::{ModelError, Result};
use crate::model::{Element, Model, OrgItem, Relationship};
use crate::types::{ElementType, RelType};

/// Archi's namespace.
pub const NAMESPACE: &str = "http://www.archimatetool.com/archimate";
/// The newest major version of Archi's format this reader knows.
const NEWEST_MAJOR: u32 = 5;

/// Whether `bytes` look like an Archi model (its namespace near the start, or a zip).
pub fn looks_native(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    head.starts_with(b"PK\x03\x04")
        || head
            .windows(NAMESPACE.len())
            .any(|w| w == NAMESPACE.as_bytes())
        || head.windows(16).any(|w| w == b"<archimate:model")
}

/// A concept being read, until its end tag.
struct Concept {
    relationship: bool,
    element: Option<Element>,
    rel: Option<Relationship>,
    depth: usize,
}

#[derive(Default)]
struct Reader {
    m: Model,
    depth: usize,
    /// Folders open, as organisation items being filled.
    folders: Vec<OrgItem>,
    top: Vec<OrgItem>,
    concept: Option<Concept>,
    /// Inside a diagram (skipped) until this depth closes.
    skip_until: Option<usize>,
    /// Collecting documentation text (of the model, a concept or a folder).
    in_doc: bool,
    doc: String,
    unknown: Vec<String>,
    /// Whether an Archi 3 (ArchiMate 2) model is converted (else refused).
    convert: bool,
    /// The model version of an Archi 3 model being converted.
    v2: Option<String>,
    /// What the conversion renamed.
    conversion: crate::archimate2::Conversion,
    /// The diagrams.
    views: crate::native_views::NativeViews,
}

type EventResult = std::result::Result<(), plumb_base::input::InputError>;

fn bad<T>(
    file: &str,
    line: u64,
    msg: String,
) -> std::result::Result<T, plumb_base::input::InputError> {
    Err(plumb_base::input::InputError::at(file, line, msg))
}

/// Checks the root; `Some(version)` for an Archi 3 (ArchiMate 2) model to convert.
fn check_root(
    file: &str,
    e: &XmlStart,
    convert: bool,
) -> std::result::Result<Option<String>, plumb_base::input::InputError> {
    if e.name != "model" {
        return bad(
            file,
            e.line,
            format!("not an Archi model: root element is <{}>", e.name),
        );
    }
    match e.attr("archimate") {
        Some(NAMESPACE) => {}
        other => {
            return bad(
                file,
                e.line,
                format!("not an Archi model: namespace {other:?} is not {NAMESPACE}"),
            );
        }
    }
    let version = e.attr("version").unwrap_or("");
    let major = version
        .split('.')
        .next()
        .and_then(|v| v.parse::<u32>().ok());
    match major {
        Some(m) if m > NEWEST_MAJOR => bad(
            file,
            e.line,
            format!(
                "made by a later Archi (model version {version}) than this reader knows (up to {NEWEST_MAJOR}.x): save it from Archi {NEWEST_MAJOR} or export it as the Open Exchange format"
            ),
        ),
        Some(m) if m < 4 && convert => Ok(Some(version.to_string())),
        Some(m) if m < 4 => bad(
            file,
            e.line,
            format!(
                "an Archi {m}.x model (ArchiMate 2) is refused (conversion to 3.x was turned off): open and save it in Archi 4 or later first"
            ),
        ),
        _ => Ok(None),
    }
}

/// An identifier as the exchange format needs it (an XML ID): Archi's bare UUIDs start with a
/// digit, so they get the `id-` prefix Archi's own exchange export gives them.
fn xml_id(id: &str) -> String {
    match id.chars().next() {
        Some(c) if c.is_alphabetic() || c == '_' => id.to_string(),
        Some(_) => format!("id-{id}"),
        None => String::new(),
    }
}

/// `archimate:AccessRelationship`'s `accessType`: Archi writes 1 read, 2 access, 3 read and
/// write, and leaves write (0) out.
fn access(v: Option<&str>) -> String {
    match v {
        Some("1") => "Read",
        Some("2") => "Access",
        Some("3") => "ReadWrite",
        _ => "Write",
    }
    .to_string()
}

impl Reader {
    fn start(&mut self, file: &str, e: XmlStart) -> EventResult {
        self.depth += 1;
        if self.depth == 1 {
            self.v2 = check_root(file, &e, self.convert)?;
            self.m.id = xml_id(e.attr("id").unwrap_or_default());
            self.m.name = e.attr("name").unwrap_or_default().to_string();
            return Ok(());
        }
        if self.skip_until.is_some() {
            return Ok(());
        }
        if self.views.reading() {
            self.views.start(&e, xml_id);
            return Ok(());
        }
        match e.name.as_str() {
            "folder" => self.folders.push(OrgItem {
                label: Some(e.attr("name").unwrap_or_default().to_string()),
                reference: None,
                items: Vec::new(),
            }),
            "element" => self.concept_start(file, &e)?,
            "documentation" | "purpose" => {
                self.in_doc = true;
                self.doc.clear();
            }
            "property" => self.property(&e),
            _ => {}
        }
        Ok(())
    }

    fn concept_start(&mut self, file: &str, e: &XmlStart) -> EventResult {
        let ty = e.attr("type").unwrap_or_default();
        let local = ty.strip_prefix("archimate:").unwrap_or(ty);
        if local == "ArchimateDiagramModel" {
            self.views
                .begin(e, self.depth, xml_id(e.attr("id").unwrap_or_default()));
            return Ok(());
        }
        if matches!(local, "SketchModel" | "CanvasModel") || ty.starts_with("canvas:") {
            self.views.skipped += 1;
            self.skip_until = Some(self.depth);
            return Ok(());
        }
        let id = xml_id(e.attr("id").unwrap_or_default());
        let name = e.attr("name").unwrap_or_default().to_string();
        let renamed = if self.v2.is_some() {
            crate::archimate2::relationship_type(local)
                .map(|to| (to, true))
                .or_else(|| crate::archimate2::element_type(local).map(|to| (to, false)))
        } else {
            None
        };
        let converted;
        let local = match renamed {
            Some((to, relationship)) => {
                self.conversion.rename(local, to);
                converted = if relationship {
                    format!("{to}Relationship")
                } else {
                    to.to_string()
                };
                converted.as_str()
            }
            None => local,
        };
        if let Some(rel) = local.strip_suffix("Relationship") {
            let Some(kind) = RelType::parse(rel) else {
                self.unknown.push(ty.to_string());
                self.skip_until = Some(self.depth);
                return Ok(());
            };
            let mut r = Relationship::new(
                id.clone(),
                kind,
                xml_id(e.attr("source").unwrap_or_default()),
                xml_id(e.attr("target").unwrap_or_default()),
            );
            r.name = name;
            r.line = Some(e.line);
            match kind {
                RelType::Access => r.access_type = Some(access(e.attr("accessType"))),
                RelType::Influence => r.modifier = e.attr("strength").map(str::to_string),
                RelType::Association => r.directed = Some(e.attr("directed") == Some("true")),
                _ => {}
            }
            self.concept = Some(Concept {
                relationship: true,
                element: None,
                rel: Some(r),
                depth: self.depth,
            });
        } else {
            let kind = match local {
                "Junction" if e.attr("type") == Some("or") => Some(ElementType::OrJunction),
                "Junction" => Some(ElementType::AndJunction),
                other => ElementType::parse(other),
            };
            let Some(kind) = kind else {
                self.unknown.push(ty.to_string());
                self.skip_until = Some(self.depth);
                return Ok(());
            };
            let mut el = Element::new(id.clone(), kind, name);
            el.line = Some(e.line);
            self.concept = Some(Concept {
                relationship: false,
                element: Some(el),
                rel: None,
                depth: self.depth,
            });
        }
        if id.is_empty() {
            return bad(file, e.line, format!("{ty} without an id"));
        }
        if let Some(f) = self.folders.last_mut() {
            f.items.push(OrgItem {
                label: None,
                reference: Some(id),
                items: Vec::new(),
            });
        }
        Ok(())
    }

    fn property(&mut self, e: &XmlStart) {
        let kv = (
            e.attr("key").unwrap_or_default().to_string(),
            e.attr("value").unwrap_or_default().to_string(),
        );
        match &mut self.concept {
            Some(Concept {
                element: Some(el), ..
            }) => el.properties.push(kv),
            Some(Concept { rel: Some(r), .. }) => r.properties.push(kv),
            _ if self.folders.is_empty() && self.depth == 2 => self.m.properties.push(kv),
            // Folder properties have no place in the model: they describe Archi's tree.
            _ => {}
        }
    }

    fn text(&mut self, t: String) {
        if self.views.reading() {
            self.views.text(&t);
            return;
        }
        if self.in_doc && self.skip_until.is_none() {
            self.doc.push_str(&t);
        }
    }

    fn end(&mut self, name: String) -> EventResult {
        if let Some(d) = self.skip_until {
            if self.depth == d {
                self.skip_until = None;
            }
            self.depth -= 1;
            return Ok(());
        }
        if self.views.reading() {
            self.views.end(&name, self.depth);
            self.depth -= 1;
            return Ok(());
        }
        match name.as_str() {
            "documentation" | "purpose" => {
                self.in_doc = false;
                let doc = Some(std::mem::take(&mut self.doc)).filter(|d| !d.is_empty());
                match &mut self.concept {
                    Some(Concept {
                        element: Some(el), ..
                    }) => el.documentation = doc,
                    Some(Concept { rel: Some(r), .. }) => r.documentation = doc,
                    _ if self.folders.is_empty() && self.depth == 2 => self.m.documentation = doc,
                    _ => {}
                }
            }
            "element" if self.concept.as_ref().is_some_and(|c| c.depth == self.depth) => {
                if let Some(c) = self.concept.take() {
                    if c.relationship {
                        self.m.relationships.extend(c.rel);
                    } else {
                        self.m.elements.extend(c.element);
                    }
                }
            }
            "folder" => {
                if let Some(f) = self.folders.pop() {
                    match self.folders.last_mut() {
                        Some(parent) => parent.items.push(f),
                        None => self.top.push(f),
                    }
                }
            }
            _ => {}
        }
        self.depth -= 1;
        Ok(())
    }
}

/// Reads an Archi model file; an Archi 3 (ArchiMate 2) model is converted (see
/// [`crate::archimate2`]), the conversions listed in the model's notes.
pub fn read(file: &str, bytes: &[u8]) -> Result<Model> {
    read_converting(file, bytes, true)
}

/// Reads an Archi model file, converting an Archi 3 (ArchiMate 2) model or refusing it.
pub fn read_converting(file: &str, bytes: &[u8], convert: bool) -> Result<Model> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(ModelError::new(
            file,
            "a zipped Archi model (saved with images) is not supported: save it in Archi without images, or export it as the Open Exchange format",
        ));
    }
    plumb_base::input::text(file, bytes)?;
    let mut r = Reader {
        convert,
        ..Default::default()
    };
    xml_events(file, bytes, |ev| match ev {
        XmlEvent::Start(e) => r.start(file, e),
        XmlEvent::Text(t) => {
            r.text(t);
            Ok(())
        }
        XmlEvent::End(name) => r.end(name),
    })?;
    if !r.unknown.is_empty() {
        r.unknown.sort();
        r.unknown.dedup();
        return Err(ModelError::new(
            file,
            format!(
                "unknown concept types {}: not an Archi model this reader (or Archi) can open",
                r.unknown.join(", ")
            ),
        ));
    }
    let mut m = r.m;
    m.organizations = r.top;
    crate::validate::references(file, &m)?;
    if let Some(version) = &r.v2 {
        m.notes = r
            .conversion
            .notes(&m, &format!("Archi {version} native format"));
    }
    if r.views.skipped > 0 {
        m.notes.push(format!(
            "{} sketch or canvas view(s) skipped: they are not ArchiMate views",
            r.views.skipped
        ));
    }
    m.raw_views = r.views.finish();
    Ok(m)
}
