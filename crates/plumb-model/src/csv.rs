//! Archi's CSV format: `elements.csv` (`"ID","Type","Name","Documentation","Specialization"`),
//! `relations.csv` (`"ID","Type","Name","Documentation","Source","Target","Specialization"`) and
//! `properties.csv` (`"ID","Key","Value"`). Types use Archi's class names (`Junction`,
//! `ServingRelationship`); the keys `Access_Type`, `Influence_Strength`, `Directed` and
//! `Junction_Type` set attributes instead of properties; an `ArchimateModel` row carries the
//! model's id, name and purpose.

use crate::error::{ModelError, Result};
use crate::model::{Element, Model, Properties, Relationship};
use crate::types::{ElementType, RelType};

const ELEMENTS_HEADER: [&str; 5] = ["ID", "Type", "Name", "Documentation", "Specialization"];
const RELATIONS_HEADER: [&str; 7] = [
    "ID",
    "Type",
    "Name",
    "Documentation",
    "Source",
    "Target",
    "Specialization",
];
const PROPERTIES_HEADER: [&str; 3] = ["ID", "Key", "Value"];
const SPECIALIZATION: &str = "Specialization";

/// Parses CSV text (quoted fields, doubled quotes, multi-line cells; `,`, `;` or tab, chosen
/// from the header line). Returns rows with their starting line numbers.
pub fn parse(file: &str, text: &str) -> Result<Vec<(u64, Vec<String>)>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    let delim = [',', ';', '\t']
        .into_iter()
        .max_by_key(|d| first.matches(*d).count())
        .unwrap_or(',');
    let mut rows = Vec::new();
    let (mut row, mut field, mut in_q, mut line, mut start) =
        (Vec::new(), String::new(), false, 1u64, 1u64);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_q) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => in_q = false,
            ('"', false) if field.is_empty() => in_q = true,
            ('\n', true) => {
                line += 1;
                field.push('\n');
            }
            (c, true) => field.push(c),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push((start, std::mem::take(&mut row)));
                line += 1;
                start = line;
            }
            (c, false) if c == delim => row.push(std::mem::take(&mut field)),
            (c, false) => field.push(c),
        }
    }
    if in_q {
        return Err(ModelError::at(
            file,
            Some(start),
            "unterminated quoted field (truncated file?)",
        ));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push((start, row));
    }
    rows.retain(|(_, r)| !(r.len() == 1 && r[0].is_empty()));
    Ok(rows)
}

fn check_header(file: &str, rows: &[(u64, Vec<String>)], want: &[&str]) -> Result<()> {
    let got = rows
        .first()
        .map(|(_, r)| r.iter().map(String::as_str).collect::<Vec<_>>())
        .unwrap_or_default();
    if got != want {
        return Err(ModelError::at(
            file,
            Some(1),
            format!(
                "header is {got:?}; Archi's {} header is {want:?}",
                file.rsplit('/').next().unwrap_or(file)
            ),
        ));
    }
    Ok(())
}

fn cell(r: &[String], i: usize) -> String {
    r.get(i).cloned().unwrap_or_default()
}

/// Reads the three CSV files (properties may be empty).
pub fn read(
    elements: (&str, &str),
    relations: (&str, &str),
    properties: Option<(&str, &str)>,
) -> Result<Model> {
    let mut m = Model::default();
    let rows = parse(elements.0, elements.1)?;
    check_header(elements.0, &rows, &ELEMENTS_HEADER)?;
    for (line, r) in rows.iter().skip(1) {
        let (id, ty) = (cell(r, 0), cell(r, 1));
        if ty == "ArchimateModel" {
            m.id = id;
            m.name = cell(r, 2);
            m.documentation = Some(cell(r, 3)).filter(|d| !d.is_empty());
            continue;
        }
        let kind = if ty == "Junction" {
            ElementType::AndJunction
        } else {
            ElementType::parse(&ty).ok_or_else(|| {
                ModelError::at(
                    elements.0,
                    Some(*line),
                    format!("element {id} has unknown type {ty:?}"),
                )
            })?
        };
        let mut props = Properties::new();
        if !cell(r, 4).is_empty() {
            props.push((SPECIALIZATION.into(), cell(r, 4)));
        }
        m.elements.push(Element {
            id,
            kind,
            name: cell(r, 2),
            documentation: Some(cell(r, 3)).filter(|d| !d.is_empty()),
            properties: props,
            line: Some(*line),
        });
    }
    let rows = parse(relations.0, relations.1)?;
    check_header(relations.0, &rows, &RELATIONS_HEADER)?;
    for (line, r) in rows.iter().skip(1) {
        let (id, ty) = (cell(r, 0), cell(r, 1));
        let kind = RelType::parse(&ty).ok_or_else(|| {
            ModelError::at(
                relations.0,
                Some(*line),
                format!("relationship {id} has unknown type {ty:?}"),
            )
        })?;
        let mut props = Properties::new();
        if !cell(r, 6).is_empty() {
            props.push((SPECIALIZATION.into(), cell(r, 6)));
        }
        m.relationships.push(Relationship {
            id,
            kind,
            name: cell(r, 2),
            documentation: Some(cell(r, 3)).filter(|d| !d.is_empty()),
            source: cell(r, 4),
            target: cell(r, 5),
            properties: props,
            access_type: None,
            modifier: None,
            directed: None,
            line: Some(*line),
        });
    }
    if let Some((name, text)) = properties {
        let rows = parse(name, text)?;
        check_header(name, &rows, &PROPERTIES_HEADER)?;
        for (line, r) in rows.iter().skip(1) {
            let (id, key, value) = (cell(r, 0), cell(r, 1), cell(r, 2));
            if id == m.id {
                m.properties.push((key, value));
            } else if let Some(e) = m.elements.iter_mut().find(|e| e.id == id) {
                match key.as_str() {
                    "Junction_Type" if e.kind.is_junction() => {
                        e.kind = if value.eq_ignore_ascii_case("or") {
                            ElementType::OrJunction
                        } else {
                            ElementType::AndJunction
                        }
                    }
                    _ => e.properties.push((key, value)),
                }
            } else if let Some(rel) = m.relationships.iter_mut().find(|x| x.id == id) {
                match key.as_str() {
                    "Access_Type" => {
                        if !crate::validate::ACCESS_TYPES.contains(&value.as_str()) {
                            return Err(ModelError::at(
                                name,
                                Some(*line),
                                format!(
                                    "Access_Type {value:?} is not one of {:?}",
                                    crate::validate::ACCESS_TYPES
                                ),
                            ));
                        }
                        rel.access_type = Some(value)
                    }
                    "Influence_Strength" => rel.modifier = Some(value),
                    "Directed" => rel.directed = Some(value == "true"),
                    _ => rel.properties.push((key, value)),
                }
            } else {
                return Err(ModelError::at(
                    name,
                    Some(*line),
                    format!(
                        "property {key:?} refers to {id:?}, which is not in elements.csv or relations.csv"
                    ),
                ));
            }
        }
    }
    crate::validate::references(relations.0, &m)?;
    Ok(m)
}

fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn row(fields: &[&str]) -> String {
    let mut s = fields.iter().map(|f| q(f)).collect::<Vec<_>>().join(",");
    s.push_str("\r\n");
    s
}

/// Writes the three files' contents: (elements, relations, properties), CRLF line ends as Archi.
pub fn write(m: &Model) -> (String, String, String) {
    let spec = |p: &Properties| {
        p.iter()
            .find(|(k, _)| k == SPECIALIZATION)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut el = row(&ELEMENTS_HEADER);
    el.push_str(&row(&[
        &m.id,
        "ArchimateModel",
        &m.name,
        m.documentation.as_deref().unwrap_or(""),
        "",
    ]));
    let mut props = row(&PROPERTIES_HEADER);
    for (k, v) in &m.properties {
        props.push_str(&row(&[&m.id, k, v]));
    }
    for e in &m.elements {
        let ty = if e.kind.is_junction() {
            "Junction"
        } else {
            e.kind.name()
        };
        el.push_str(&row(&[
            &e.id,
            ty,
            &e.name,
            e.documentation.as_deref().unwrap_or(""),
            &spec(&e.properties),
        ]));
        if e.kind.is_junction() {
            props.push_str(&row(&[
                &e.id,
                "Junction_Type",
                if e.kind == ElementType::OrJunction {
                    "Or"
                } else {
                    "And"
                },
            ]));
        }
        for (k, v) in e.properties.iter().filter(|(k, _)| k != SPECIALIZATION) {
            props.push_str(&row(&[&e.id, k, v]));
        }
    }
    let mut rel = row(&RELATIONS_HEADER);
    for r in &m.relationships {
        let ty = format!("{}Relationship", r.kind.name());
        rel.push_str(&row(&[
            &r.id,
            &ty,
            &r.name,
            r.documentation.as_deref().unwrap_or(""),
            &r.source,
            &r.target,
            &spec(&r.properties),
        ]));
        for (k, v) in [
            ("Access_Type", r.access_type.clone()),
            ("Influence_Strength", r.modifier.clone()),
            ("Directed", r.directed.map(|d| d.to_string())),
        ] {
            if let Some(v) = v {
                props.push_str(&row(&[&r.id, k, &v]));
            }
        }
        for (k, v) in r.properties.iter().filter(|(k, _)| k != SPECIALIZATION) {
            props.push_str(&row(&[&r.id, k, v]));
        }
    }
    (el, rel, props)
}
