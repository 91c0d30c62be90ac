//! The ArchiMate Model Exchange File Format (3.1/3.2; namespace `.../archimate/3.0/`, schema
//! locations as Archi writes them). Elements, relationships, properties and property
//! definitions, organisations; metadata and views are kept verbatim and written back.

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

/// Reads an exchange-format document.
pub fn read(file: &str, bytes: &[u8]) -> Result<Model> {
    let text = plumb_base::input::text(file, bytes)?;
    let mut m = Model::default();
    let mut stack: Vec<String> = Vec::new();
    let mut pending: Option<Pending> = None;
    let mut prop_ref: Option<(String, Option<u64>)> = None;
    let mut defs: HashMap<String, String> = HashMap::new();
    let mut def_types: HashMap<String, String> = HashMap::new();
    let mut def_id: Option<String> = None;
    let mut model_props: Vec<(String, String, Option<u64>)> = Vec::new();
    let mut orgs: Vec<Vec<OrgItem>> = vec![Vec::new()];
    let mut org_labels: Vec<Option<String>> = Vec::new();
    let mut in_views = false;
    let mut in_metadata = false;
    xml_events(file, bytes, |ev| {
        match ev {
            XmlEvent::Start(e) => {
                let parent = stack.last().cloned().unwrap_or_default();
                stack.push(e.name.clone());
                if stack.len() == 1 {
                    if e.name != "model" {
                        return Err(plumb_base::input::InputError::at(
                            file,
                            e.line,
                            format!(
                                "not an ArchiMate exchange file: root element is <{}>, expected <model>",
                                e.name
                            ),
                        ));
                    }
                    match e.attr("xmlns") {
                        Some(NAMESPACE) => {}
                        Some(ns) if ns.trim_end_matches('/') == OLD_NAMESPACE => {
                            return Err(plumb_base::input::InputError::at(
                                file,
                                e.line,
                                format!(
                                    "ArchiMate 2.1 exchange format (namespace {ns}) is not supported: export the model from Archi 4 or later as ArchiMate 3.1 Open Exchange format"
                                ),
                            ));
                        }
                        other => {
                            return Err(plumb_base::input::InputError::at(
                                file,
                                e.line,
                                format!(
                                    "namespace {other:?} is not the ArchiMate 3.x exchange namespace {NAMESPACE}"
                                ),
                            ));
                        }
                    }
                    m.id = e.attr("identifier").unwrap_or_default().to_string();
                    return Ok(());
                }
                if in_views || in_metadata {
                    return Ok(());
                }
                match (parent.as_str(), e.name.as_str()) {
                    ("model", "views") => in_views = true,
                    ("model", "metadata") => in_metadata = true,
                    ("elements", "element") | ("relationships", "relationship") => {
                        let kind = if e.name == "element" {
                            "element"
                        } else {
                            "relationship"
                        };
                        pending = Some(Pending {
                            kind,
                            id: e.attr("identifier").unwrap_or_default().to_string(),
                            ty: e.attr("type").unwrap_or_default().to_string(),
                            attrs: e.attrs.clone(),
                            line: e.line,
                            ..Default::default()
                        });
                    }
                    ("properties", "property") => {
                        prop_ref = Some((
                            e.attr("propertyDefinitionRef")
                                .unwrap_or_default()
                                .to_string(),
                            Some(e.line),
                        ))
                    }
                    ("propertyDefinitions", "propertyDefinition") => {
                        let id = e.attr("identifier").unwrap_or_default().to_string();
                        def_types
                            .insert(id.clone(), e.attr("type").unwrap_or("string").to_string());
                        def_id = Some(id);
                    }
                    ("organizations" | "item", "item") => {
                        org_labels.push(None);
                        orgs.push(Vec::new());
                        if let Some(r) = e.attr("identifierRef")
                            && let Some(level) = orgs.last_mut()
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
            }
            XmlEvent::Text(t) => {
                if in_views || in_metadata {
                    return Ok(());
                }
                let n = stack.len();
                let (parent, this) = (
                    stack
                        .get(n.wrapping_sub(2))
                        .map(String::as_str)
                        .unwrap_or(""),
                    stack.last().map(String::as_str).unwrap_or(""),
                );
                match (parent, this) {
                    ("model", "name") if m.name.is_empty() => m.name = t,
                    ("model", "documentation") => m.documentation = Some(t),
                    ("element" | "relationship", "name") => {
                        if let Some(p) = pending.as_mut().filter(|p| p.name.is_none()) {
                            p.name = Some(t);
                        }
                    }
                    ("element" | "relationship", "documentation") => {
                        if let Some(p) = pending.as_mut() {
                            p.documentation = Some(t);
                        }
                    }
                    ("property", "value") => {
                        if let Some((r, line)) = prop_ref.take() {
                            match pending.as_mut() {
                                Some(p) => p.props.push((r, t, line)),
                                None => model_props.push((r, t, line)),
                            }
                        }
                    }
                    ("propertyDefinition", "name") => {
                        if let Some(id) = def_id.take() {
                            defs.insert(id, t);
                        }
                    }
                    ("item", "label") => {
                        if let Some(l) = org_labels.last_mut().filter(|l| l.is_none()) {
                            *l = Some(t);
                        }
                    }
                    _ => {}
                }
            }
            XmlEvent::End(name) => {
                stack.pop();
                if in_views {
                    in_views = !(name == "views" && stack.len() == 1);
                    return Ok(());
                }
                if in_metadata {
                    in_metadata = !(name == "metadata" && stack.len() == 1);
                    return Ok(());
                }
                match name.as_str() {
                    "element" | "relationship"
                        if stack
                            .last()
                            .is_some_and(|p| p == "elements" || p == "relationships") =>
                    {
                        if let Some(p) = pending.take() {
                            finish(file, p, &mut m)?;
                        }
                    }
                    // Only an item opened inside organizations or another item pushed a level
                    // (see the start handler); any other `</item>` closes nothing here.
                    "item"
                        if stack
                            .last()
                            .is_some_and(|p| p == "organizations" || p == "item")
                            && orgs.len() > 1 =>
                    {
                        let children = orgs.pop().unwrap_or_default();
                        let label = org_labels.pop().flatten();
                        let Some(parent) = orgs.last_mut() else {
                            return Ok(());
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
                    _ => {}
                }
            }
        }
        Ok(())
    })?;
    m.organizations = orgs.pop().unwrap_or_default();
    // Resolve property definition references now that all definitions are known.
    let resolve = |props: Vec<(String, String, Option<u64>)>| -> Result<Properties> {
        props
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
            .collect()
    };
    m.properties = resolve(model_props)?;
    m.property_types = defs
        .iter()
        .map(|(id, n)| {
            (
                n.clone(),
                def_types
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| "string".into()),
            )
        })
        .collect();
    // Properties were stored as (ref, value) pairs in `pending`; `finish` kept them unresolved.
    for e in &mut m.elements {
        e.properties = resolve_pairs(file, e.line, std::mem::take(&mut e.properties), &defs)?;
    }
    for r in &mut m.relationships {
        r.properties = resolve_pairs(file, r.line, std::mem::take(&mut r.properties), &defs)?;
    }
    if let (Some(a), Some(b)) = (text.find("<metadata"), text.find("</metadata>")) {
        m.raw_metadata = Some(text[a..b + "</metadata>".len()].to_string());
    }
    if let (Some(a), Some(b)) = (text.find("<views"), text.rfind("</views>")) {
        m.raw_views = Some(text[a..b + "</views>".len()].to_string());
    }
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
