//! Structural validation on import: unique identifiers that are XML NCNames, and relationship
//! ends that resolve to an element or a relationship.

use std::collections::HashSet;

use crate::error::{ModelError, Result};
use crate::model::Model;

/// Whether `s` is an XML NCName (what `xs:ID` requires): starts with a letter or `_`, then
/// letters, digits, `-`, `_`, `.`.
pub fn is_ncname(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_alphabetic() || f == '_')
        && c.all(|x| x.is_alphanumeric() || matches!(x, '-' | '_' | '.'))
}

/// Checks identifiers and references.
pub fn references(file: &str, m: &Model) -> Result<()> {
    let mut seen: HashSet<&str> = HashSet::new();
    for (id, line) in m
        .elements
        .iter()
        .map(|e| (&e.id, e.line))
        .chain(m.relationships.iter().map(|r| (&r.id, r.line)))
    {
        if !is_ncname(id) {
            return Err(ModelError::at(
                file,
                line,
                format!(
                    "identifier {id:?} is not a valid XML ID (it must start with a letter or _, e.g. id-{id})"
                ),
            ));
        }
        if !seen.insert(id) {
            return Err(ModelError::at(
                file,
                line,
                format!("identifier {id:?} is used twice"),
            ));
        }
    }
    for r in &m.relationships {
        for (end, id) in [("source", &r.source), ("target", &r.target)] {
            if !seen.contains(id.as_str()) {
                return Err(ModelError::at(
                    file,
                    r.line,
                    format!(
                        "relationship {} has {end} {id:?}, which is neither an element nor a relationship in the model",
                        r.id
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Children of `<model>` in the order the exchange schema's `xs:sequence` requires.
const MODEL_SEQUENCE: [&str; 9] = [
    "name",
    "documentation",
    "properties",
    "metadata",
    "elements",
    "relationships",
    "organizations",
    "propertyDefinitions",
    "views",
];
/// `accessType` values the schema allows.
pub const ACCESS_TYPES: [&str; 4] = ["Access", "Read", "Write", "ReadWrite"];
/// `propertyDefinition/@type` values the schema allows.
pub const PROPERTY_TYPES: [&str; 6] = ["string", "boolean", "currency", "date", "time", "number"];

/// Checks an exchange document against the structure the Open Group schema (archimate3_Model,
/// _View and _Diagram 3.1) imposes on what Plumbline writes: the namespace, the order of the
/// model's children, a name on every non-junction element, the enumerations (accessType,
/// property definition types, element and relationship types), NCName identifiers and
/// resolvable references. (The schemas themselves cannot be fetched here; see docs/model.md.)
pub fn exchange_structure(xml: &str) -> std::result::Result<(), String> {
    let m = crate::exchange::read("export.xml", xml.as_bytes()).map_err(|e| e.to_string())?;
    let mut order = Vec::new();
    let mut depth = 0usize;
    let mut bad = None;
    plumb_base::xml::xml_events("export.xml", xml.as_bytes(), |ev| {
        match ev {
            plumb_base::xml::XmlEvent::Start(e) => {
                depth += 1;
                if depth == 2 {
                    order.push(e.name.clone());
                }
                if e.name == "relationship"
                    && depth == 3
                    && let Some(a) = e.attr("accessType")
                    && !ACCESS_TYPES.contains(&a)
                {
                    bad = Some(format!(
                        "line {}: accessType {a:?} is not one of {ACCESS_TYPES:?}",
                        e.line
                    ));
                }
                if e.name == "propertyDefinition"
                    && let Some(t) = e.attr("type")
                    && !PROPERTY_TYPES.contains(&t)
                {
                    bad = Some(format!(
                        "line {}: propertyDefinition type {t:?} is not one of {PROPERTY_TYPES:?}",
                        e.line
                    ));
                }
            }
            plumb_base::xml::XmlEvent::End(_) => depth -= 1,
            plumb_base::xml::XmlEvent::Text(_) => {}
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    if let Some(b) = bad {
        return Err(b);
    }
    let positions: Vec<usize> = order
        .iter()
        .map(|n| {
            MODEL_SEQUENCE
                .iter()
                .position(|s| s == n)
                .unwrap_or(usize::MAX)
        })
        .collect();
    if positions.contains(&usize::MAX) || positions.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!(
            "children of <model> are {order:?}; the schema's order is {MODEL_SEQUENCE:?}, each at most once"
        ));
    }
    if order.first().map(String::as_str) != Some("name") {
        return Err("<model> must start with <name>".into());
    }
    if let Some(e) = m
        .elements
        .iter()
        .find(|e| e.name.is_empty() && !e.kind.is_junction())
    {
        return Err(format!("element {} has no name", e.id));
    }
    Ok(())
}
