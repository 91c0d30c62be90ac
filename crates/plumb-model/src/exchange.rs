//! The ArchiMate Model Exchange File Format (3.1/3.2; namespace `.../archimate/3.0/`, schema
//! locations as Archi writes them). Elements, relationships, properties and property
//! definitions, organisations; metadata and views are kept verbatim and written back.
//! ArchiMate 2.1 files (namespace `.../archimate`) are read with 2.1's names and converted
//! (`crate::archimate2`), or refused when conversion is off.

use std::collections::{BTreeMap, HashMap};

use plumb_base::escape::xml as esc;
use plumb_base::xml::{XmlEvent, xml_events};

use crate::error::{ModelError, Result};
use crate::model::{Element, Model, OrgItem, Properties, Relationship};
use crate::types::{ElementType, RelType};

/// The exchange format's namespace (the same for 3.0, 3.1 and 3.2).
pub const NAMESPACE: &str = "http://www.opengroup.org/xsd/archimate/3.0/";
const OLD_NAMESPACE: &str = "http://www.opengroup.org/xsd/archimate";
const SCHEMA_LOCATION: &str = "http://www.opengroup.org/xsd/archimate/3.0/ http://www.opengroup.org/xsd/archimate/3.1/archimate3_Diagram.xsd";
const DC_NAMESPACE: &str = "http://purl.org/dc/elements/1.1/";

#[derive(Default)]
struct Pending {
    kind: &'static str,
    id: String,
    ty: String,
    attrs: Vec<(String, String)>,
    name: Option<String>,
    documentation: Option<String>,
    props: Vec<(String, String, Option<u64>)>,
    line: u64,
}

/// A property as read: definition reference, value, line.
type RawProperty = (String, String, Option<u64>);

/// What the reader keeps between XML events.
#[derive(Default)]
struct Reader {
    m: Model,
    stack: Vec<String>,
    pending: Option<Pending>,
    prop_ref: Option<(String, Option<u64>)>,
    defs: HashMap<String, String>,
    def_types: HashMap<String, String>,
    def_id: Option<String>,
    model_props: Vec<RawProperty>,
    /// Organisation levels being read (the outermost first).
    orgs: Vec<Vec<OrgItem>>,
    org_labels: Vec<Option<String>>,
    /// Inside `<views>` or `<metadata>`, which are kept verbatim rather than read.
    skipping: Option<&'static str>,
    /// An ArchiMate 2.1 file, read with its own element names and converted.
    v2: bool,
    /// What the conversion renamed.
    conversion: crate::archimate2::Conversion,
    /// Whether 2.1 files are converted (else refused).
    convert: bool,
}

type EventResult = std::result::Result<(), plumb_base::input::InputError>;

/// Checks the root element: `<model>` in the ArchiMate 3.x namespace, or in the 2.1 one when
/// converting; says which.
fn check_root(
    file: &str,
    e: &plumb_base::xml::XmlStart,
    convert: bool,
) -> std::result::Result<bool, plumb_base::input::InputError> {
    let bad = |msg: String| Err(plumb_base::input::InputError::at(file, e.line, msg));
    if e.name != "model" {
        return bad(format!(
            "not an ArchiMate exchange file: root element is <{}>, expected <model>",
            e.name
        ));
    }
    match e.attr("xmlns") {
        Some(NAMESPACE) => Ok(false),
        Some(ns) if ns.trim_end_matches('/') == OLD_NAMESPACE && convert => Ok(true),
        Some(ns) if ns.trim_end_matches('/') == OLD_NAMESPACE => bad(format!(
            "ArchiMate 2.1 exchange format (namespace {ns}) is refused (conversion to 3.x was turned off): export the model from Archi 4 or later as ArchiMate 3.1 Open Exchange format"
        )),
        other => bad(format!(
            "namespace {other:?} is not the ArchiMate 3.x exchange namespace {NAMESPACE}"
        )),
    }
}

impl Reader {
    fn start(&mut self, file: &str, mut e: plumb_base::xml::XmlStart) -> EventResult {
        let parent = self.stack.last().cloned().unwrap_or_default();
        if self.v2 && self.skipping.is_none() && self.v2_start(&parent, &mut e) {
            self.stack.push(e.name);
            return Ok(());
        }
        self.stack.push(e.name.clone());
        if self.stack.len() == 1 {
            self.v2 = check_root(file, &e, self.convert)?;
            self.m.id = e.attr("identifier").unwrap_or_default().to_string();
            return Ok(());
        }
        if self.skipping.is_some() {
            return Ok(());
        }
        match (parent.as_str(), e.name.as_str()) {
            ("model", "views") => self.skipping = Some("views"),
            ("model", "metadata") => self.skipping = Some("metadata"),
            ("elements", "element") | ("relationships", "relationship") => {
                let kind = if e.name == "element" {
                    "element"
                } else {
                    "relationship"
                };
                self.pending = Some(Pending {
                    kind,
                    id: e.attr("identifier").unwrap_or_default().to_string(),
                    ty: e.attr("type").unwrap_or_default().to_string(),
                    attrs: e.attrs.clone(),
                    line: e.line,
                    ..Default::default()
                });
            }
            ("properties", "property") => {
                self.prop_ref = Some((
                    e.attr("propertyDefinitionRef")
                        .unwrap_or_default()
                        .to_string(),
                    Some(e.line),
                ))
            }
            ("propertyDefinitions", "propertyDefinition") => {
                let id = e.attr("identifier").unwrap_or_default().to_string();
                self.def_types
                    .insert(id.clone(), e.attr("type").unwrap_or("string").to_string());
                self.def_id = Some(id);
            }
            ("organizations" | "item", "item") => {
                self.org_labels.push(None);
                self.orgs.push(Vec::new());
                if let Some(r) = e.attr("identifierRef")
                    && let Some(level) = self.orgs.last_mut()
                {
                    level.push(OrgItem {
                        label: None,
                        reference: Some(r.to_string()),
                        items: vec![],
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// ArchiMate 2.1's names for what 3.x calls otherwise, renamed in place: `label` is an
    /// element's or relationship's `name`, `organization` is `organizations`, `identifierref`
    /// refers to a property definition or a concept. A `propertydef` carries its name as an
    /// attribute and is taken here (true: the event is handled).
    fn v2_start(&mut self, parent: &str, e: &mut plumb_base::xml::XmlStart) -> bool {
        match (parent, e.name.as_str()) {
            ("element" | "relationship", "label") => e.name = "name".into(),
            (_, "organization") => e.name = "organizations".into(),
            ("propertydefs", "propertydef") => {
                let id = e.attr("identifier").unwrap_or_default().to_string();
                let name = e.attr("name").unwrap_or_default().to_string();
                self.def_types
                    .insert(id.clone(), e.attr("type").unwrap_or("string").to_string());
                self.defs.insert(id, name);
                return true;
            }
            _ => {}
        }
        if let Some(r) = e.attr("identifierref").map(str::to_string) {
            e.attrs.push(("propertyDefinitionRef".into(), r.clone()));
            e.attrs.push(("identifierRef".into(), r));
        }
        false
    }

    fn text(&mut self, t: String) {
        if self.skipping.is_some() {
            return;
        }
        let n = self.stack.len();
        let parent = self
            .stack
            .get(n.wrapping_sub(2))
            .map(String::as_str)
            .unwrap_or("");
        let this = self.stack.last().map(String::as_str).unwrap_or("");
        match (parent, this) {
            ("model", "name") if self.m.name.is_empty() => self.m.name = t,
            ("model", "documentation") => self.m.documentation = Some(t),
            ("element" | "relationship", "name") => {
                if let Some(p) = self.pending.as_mut().filter(|p| p.name.is_none()) {
                    p.name = Some(t);
                }
            }
            ("element" | "relationship", "documentation") => {
                if let Some(p) = self.pending.as_mut() {
                    p.documentation = Some(t);
                }
            }
            ("property", "value") => {
                if let Some((r, line)) = self.prop_ref.take() {
                    match self.pending.as_mut() {
                        Some(p) => p.props.push((r, t, line)),
                        None => self.model_props.push((r, t, line)),
                    }
                }
            }
            ("propertyDefinition", "name") => {
                if let Some(id) = self.def_id.take() {
                    self.defs.insert(id, t);
                }
            }
            ("item", "label") => {
                if let Some(l) = self.org_labels.last_mut().filter(|l| l.is_none()) {
                    *l = Some(t);
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, file: &str, name: String) -> EventResult {
        self.stack.pop();
        if let Some(skipped) = self.skipping {
            if name == skipped && self.stack.len() == 1 {
                self.skipping = None;
            }
            return Ok(());
        }
        let parent = self.stack.last().map(String::as_str);
        match name.as_str() {
            "element" | "relationship"
                if matches!(parent, Some("elements") | Some("relationships")) =>
            {
                if let Some(mut p) = self.pending.take() {
                    if self.v2 {
                        let renamed = if p.kind == "element" {
                            crate::archimate2::element_type(&p.ty)
                        } else {
                            crate::archimate2::relationship_type(&p.ty)
                        };
                        if let Some(to) = renamed {
                            self.conversion.rename(&p.ty, to);
                            p.ty = to.to_string();
                        }
                    }
                    finish(file, p, &mut self.m)?;
                }
            }
            // Only an item opened inside organizations or another item pushed a level (see
            // `start`); any other `</item>` closes nothing here.
            "item"
                if matches!(parent, Some("organizations") | Some("item"))
                    && self.orgs.len() > 1 =>
            {
                self.close_item();
            }
            _ => {}
        }
        Ok(())
    }

    /// Closes an organisation item: a labelled folder, or a lone reference lifted into its
    /// parent.
    fn close_item(&mut self) {
        let children = self.orgs.pop().unwrap_or_default();
        let label = self.org_labels.pop().flatten();
        let Some(parent) = self.orgs.last_mut() else {
            return;
        };
        if label.is_some()
            || children
                .iter()
                .any(|c| c.label.is_some() || !c.items.is_empty())
            || children.len() != 1
        {
            parent.push(OrgItem {
                label,
                reference: None,
                items: children,
            });
        } else {
            parent.extend(children);
        }
    }

    /// Resolves property definitions now that all are known, and keeps the views and metadata
    /// verbatim.
    fn into_model(mut self, file: &str, text: &str) -> Result<Model> {
        let (v2, conversion) = (self.v2, std::mem::take(&mut self.conversion));
        let mut m = self.m;
        m.organizations = self.orgs.pop().unwrap_or_default();
        let defs = &self.defs;
        m.properties = self
            .model_props
            .into_iter()
            .map(|(r, v, line)| {
                defs.get(&r).map(|n| (n.clone(), v)).ok_or_else(|| {
                    ModelError::at(
                        file,
                        line,
                        format!(
                            "property refers to propertyDefinition {r:?}, which is not defined"
                        ),
                    )
                })
            })
            .collect::<Result<Properties>>()?;
        m.property_types = defs
            .iter()
            .map(|(id, n)| {
                let ty = self.def_types.get(id).cloned();
                (n.clone(), ty.unwrap_or_else(|| "string".into()))
            })
            .collect();
        // Properties were stored as (ref, value) pairs; `finish` kept them unresolved.
        for e in &mut m.elements {
            e.properties = resolve_pairs(file, e.line, std::mem::take(&mut e.properties), defs)?;
        }
        for r in &mut m.relationships {
            r.properties = resolve_pairs(file, r.line, std::mem::take(&mut r.properties), defs)?;
        }
        m.raw_metadata = verbatim(text, "<metadata", "</metadata>", false);
        m.raw_views = verbatim(text, "<views", "</views>", true);
        if v2 {
            // 2.x views use another schema: kept out of a 3.x file rather than written wrong.
            m.raw_views = None;
            m.raw_metadata = None;
            m.notes = conversion.notes(&m, "exchange format 2.1");
            m.notes
                .push("its views (ArchiMate 2.1 diagram schema) are not carried over".to_string());
        }
        Ok(m)
    }
}

/// The text from the first `open` to the first (or `last`) `close` after it, if both are
/// there. Searched after the opening tag, so a closing tag before it (in a comment, say)
/// cannot invert the range.
fn verbatim(text: &str, open: &str, close: &str, last: bool) -> Option<String> {
    let a = text.find(open)?;
    let rest = text.get(a..)?;
    let b = if last {
        rest.rfind(close)?
    } else {
        rest.find(close)?
    };
    rest.get(..b + close.len()).map(str::to_string)
}

/// Reads an exchange-format document; an ArchiMate 2.1 one is converted (see
/// [`crate::archimate2`]), the conversions listed in the model's notes.
pub fn read(file: &str, bytes: &[u8]) -> Result<Model> {
    read_converting(file, bytes, true)
}

/// Reads an exchange-format document, converting ArchiMate 2.1 or refusing it.
pub fn read_converting(file: &str, bytes: &[u8], convert: bool) -> Result<Model> {
    let text = plumb_base::input::text(file, bytes)?;
    let mut r = Reader {
        orgs: vec![Vec::new()],
        convert,
        ..Default::default()
    };
    xml_events(file, bytes, |ev| match ev {
        XmlEvent::Start(e) => r.start(file, e),
        XmlEvent::Text(t) => {
            r.text(t);
            Ok(())
        }
        XmlEvent::End(name) => r.end(file, name),
    })?;
    let m = r.into_model(file, text)?;
    crate::validate::references(file, &m)?;
    Ok(m)
}

fn resolve_pairs(
    file: &str,
    line: Option<u64>,
    props: Properties,
    defs: &HashMap<String, String>,
) -> Result<Properties> {
    props
        .into_iter()
        .map(|(r, v)| {
            defs.get(&r).map(|n| (n.clone(), v)).ok_or_else(|| {
                ModelError::at(
                    file,
                    line,
                    format!("property refers to propertyDefinition {r:?}, which is not defined"),
                )
            })
        })
        .collect()
}

fn finish(
    file: &str,
    p: Pending,
    m: &mut Model,
) -> std::result::Result<(), plumb_base::input::InputError> {
    let bad = |msg: String| plumb_base::input::InputError::at(file, p.line, msg);
    if p.id.is_empty() {
        return Err(bad(format!("{} without an identifier", p.kind)));
    }
    let props: Properties = p
        .props
        .iter()
        .map(|(r, v, _)| (r.clone(), v.clone()))
        .collect();
    let attr = |k: &str| p.attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    if p.kind == "element" {
        let kind = ElementType::parse(&p.ty).ok_or_else(|| {
            bad(format!(
                "element {} has unknown type {:?}; ArchiMate 3.2 element types are: {}",
                p.id,
                p.ty,
                ElementType::ALL
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        m.elements.push(Element {
            id: p.id,
            kind,
            name: p.name.unwrap_or_default(),
            documentation: p.documentation,
            properties: props,
            line: Some(p.line),
        });
    } else {
        let kind = RelType::parse(&p.ty).ok_or_else(|| {
            bad(format!(
                "relationship {} has unknown type {:?}; the types are: {}",
                p.id,
                p.ty,
                RelType::ALL
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let (source, target) = (
            attr("source").unwrap_or_default(),
            attr("target").unwrap_or_default(),
        );
        m.relationships.push(Relationship {
            id: p.id,
            kind,
            source,
            target,
            name: p.name.unwrap_or_default(),
            documentation: p.documentation,
            properties: props,
            access_type: attr("accessType"),
            modifier: attr("modifier"),
            directed: attr("isDirected").map(|v| v == "true"),
            line: Some(p.line),
        });
    }
    Ok(())
}

/// Property definition ids: one per distinct key, in first-use order.
fn definitions(m: &Model) -> BTreeMap<String, String> {
    let mut order: Vec<String> = Vec::new();
    let all = m
        .properties
        .iter()
        .chain(m.elements.iter().flat_map(|e| e.properties.iter()))
        .chain(m.relationships.iter().flat_map(|r| r.properties.iter()));
    for (k, _) in all {
        if !order.contains(k) {
            order.push(k.clone());
        }
    }
    order
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            // Archi's convention: the Specialization property's definition is `specialization`.
            let id = if k == "Specialization" {
                "specialization".to_string()
            } else {
                format!("propid-{}", i + 1)
            };
            (k, id)
        })
        .collect()
}

fn write_props(
    out: &mut String,
    indent: &str,
    props: &Properties,
    defs: &BTreeMap<String, String>,
) {
    if props.is_empty() {
        return;
    }
    out.push_str(&format!("{indent}<properties>\n"));
    for (k, v) in props {
        out.push_str(&format!("{indent}  <property propertyDefinitionRef=\"{}\">\n{indent}    <value xml:lang=\"en\">{}</value>\n{indent}  </property>\n", esc(&defs[k]), esc(v)));
    }
    out.push_str(&format!("{indent}</properties>\n"));
}

fn write_org(out: &mut String, indent: &str, item: &OrgItem) {
    match (&item.reference, &item.label) {
        (Some(r), _) => out.push_str(&format!("{indent}<item identifierRef=\"{}\" />\n", esc(r))),
        (None, label) => {
            out.push_str(&format!("{indent}<item>\n"));
            if let Some(l) = label {
                out.push_str(&format!(
                    "{indent}  <label xml:lang=\"en\">{}</label>\n",
                    esc(l)
                ));
            }
            for c in &item.items {
                write_org(out, &format!("{indent}  "), c);
            }
            out.push_str(&format!("{indent}</item>\n"));
        }
    }
}

/// Writes the model in the exchange format, in the schema's element order.
pub fn write(m: &Model) -> String {
    let defs = definitions(m);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<model xmlns=\"{NAMESPACE}\" xmlns:dc=\"{DC_NAMESPACE}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"{SCHEMA_LOCATION}\" identifier=\"{}\">\n",
        esc(&m.id)
    ));
    out.push_str(&format!(
        "  <name xml:lang=\"en\">{}</name>\n",
        esc(&m.name)
    ));
    if let Some(d) = &m.documentation {
        out.push_str(&format!(
            "  <documentation xml:lang=\"en\">{}</documentation>\n",
            esc(d)
        ));
    }
    write_props(&mut out, "  ", &m.properties, &defs);
    if let Some(md) = &m.raw_metadata {
        out.push_str(&format!("  {md}\n"));
    }
    if !m.elements.is_empty() {
        out.push_str("  <elements>\n");
        for e in &m.elements {
            out.push_str(&format!(
                "    <element identifier=\"{}\" xsi:type=\"{}\">\n",
                esc(&e.id),
                e.kind.name()
            ));
            if !e.name.is_empty() || !e.kind.is_junction() {
                out.push_str(&format!(
                    "      <name xml:lang=\"en\">{}</name>\n",
                    esc(&e.name)
                ));
            }
            if let Some(d) = &e.documentation {
                out.push_str(&format!(
                    "      <documentation xml:lang=\"en\">{}</documentation>\n",
                    esc(d)
                ));
            }
            write_props(&mut out, "      ", &e.properties, &defs);
            out.push_str("    </element>\n");
        }
        out.push_str("  </elements>\n");
    }
    if !m.relationships.is_empty() {
        out.push_str("  <relationships>\n");
        for r in &m.relationships {
            let mut attrs = format!(
                "identifier=\"{}\" source=\"{}\" target=\"{}\" xsi:type=\"{}\"",
                esc(&r.id),
                esc(&r.source),
                esc(&r.target),
                r.kind.name()
            );
            if let Some(a) = &r.access_type {
                attrs.push_str(&format!(" accessType=\"{}\"", esc(a)));
            }
            if let Some(mo) = &r.modifier {
                attrs.push_str(&format!(" modifier=\"{}\"", esc(mo)));
            }
            if let Some(d) = r.directed {
                attrs.push_str(&format!(" isDirected=\"{d}\""));
            }
            out.push_str(&format!("    <relationship {attrs}>\n"));
            if !r.name.is_empty() {
                out.push_str(&format!(
                    "      <name xml:lang=\"en\">{}</name>\n",
                    esc(&r.name)
                ));
            }
            if let Some(d) = &r.documentation {
                out.push_str(&format!(
                    "      <documentation xml:lang=\"en\">{}</documentation>\n",
                    esc(d)
                ));
            }
            write_props(&mut out, "      ", &r.properties, &defs);
            out.push_str("    </relationship>\n");
        }
        out.push_str("  </relationships>\n");
    }
    if !m.organizations.is_empty() {
        out.push_str("  <organizations>\n");
        for o in &m.organizations {
            write_org(&mut out, "    ", o);
        }
        out.push_str("  </organizations>\n");
    }
    if !defs.is_empty() {
        out.push_str("  <propertyDefinitions>\n");
        let mut by_id: Vec<(&String, &String)> = defs.iter().map(|(k, id)| (id, k)).collect();
        by_id.sort();
        for (id, name) in by_id {
            let ty = m
                .property_types
                .get(name)
                .map(String::as_str)
                .unwrap_or("string");
            out.push_str(&format!("    <propertyDefinition identifier=\"{}\" type=\"{}\">\n      <name xml:lang=\"en\">{}</name>\n    </propertyDefinition>\n", esc(id), esc(ty), esc(name)));
        }
        out.push_str("  </propertyDefinitions>\n");
    }
    if let Some(v) = &m.raw_views {
        out.push_str(&format!("  {v}\n"));
    }
    out.push_str("</model>\n");
    out
}
