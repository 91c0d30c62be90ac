//! A concise YAML form for architecture kept as code in git:
//!
//! ```yaml
//! id: id-bank
//! name: Small Bank
//! elements:
//!   - {id: fn-payments, type: BusinessFunction, name: Payments, properties: {dora:criticality: critical}}
//! relationships:
//!   - {id: rel-1, type: Serving, source: app-payments, target: fn-payments}
//! views:                       # optional: diagrams as an architect draws them
//!   - id: view-payments
//!     name: Payments
//!     nodes:                   # absolute bounds; w and h default to 120 and 55
//!       - {id: n-fn, element: fn-payments, x: 40, y: 20}
//!       - {id: n-apps, label: Applications, x: 20, y: 120, w: 400, h: 120, nodes: [
//!           {id: n-app, element: app-payments, x: 40, y: 160}]}
//!       - {id: n-note, note: Drawn by hand, x: 460, y: 20}
//!     connections:
//!       - {relationship: rel-1, source: n-app, target: n-fn, bendpoints: [[100, 100]]}
//! ```
//!
//! Views are read into the exchange format's views (drawn, listed, exported); writing YAML
//! does not carry them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::model::{Element, Model, OrgItem, Relationship};
use crate::types::{ElementType, RelType};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct YModel {
    id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    documentation: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<String, String>,
    #[serde(default)]
    elements: Vec<YElement>,
    #[serde(default)]
    relationships: Vec<YRel>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    organizations: Vec<OrgItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    views: Vec<YView>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct YView {
    id: String,
    name: String,
    #[serde(default)]
    nodes: Vec<YNode>,
    #[serde(default)]
    connections: Vec<YConn>,
}

fn default_w() -> f64 {
    120.0
}

fn default_h() -> f64 {
    55.0
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct YNode {
    id: String,
    #[serde(default)]
    element: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    note: Option<String>,
    x: f64,
    y: f64,
    #[serde(default = "default_w")]
    w: f64,
    #[serde(default = "default_h")]
    h: f64,
    /// Fill colour, `#rrggbb`.
    #[serde(default)]
    fill: Option<String>,
    #[serde(default)]
    nodes: Vec<YNode>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct YConn {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    relationship: Option<String>,
    source: String,
    target: String,
    #[serde(default)]
    bendpoints: Vec<(f64, f64)>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct YElement {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    documentation: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct YRel {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    source: String,
    target: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    documentation: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    influence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    directed: Option<bool>,
}

/// Reads the YAML form.
pub fn read(file: &str, text: &str) -> Result<Model> {
    let y: YModel = yaml_serde::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line() as u64);
        ModelError::at(file, line, e.to_string())
    })?;
    let mut m = Model {
        id: y.id,
        name: y.name,
        documentation: y.documentation,
        properties: y.properties.into_iter().collect(),
        organizations: y.organizations,
        ..Default::default()
    };
    for e in y.elements {
        let kind = ElementType::parse(&e.kind).ok_or_else(|| {
            ModelError::new(
                file,
                format!("element {} has unknown type {:?}", e.id, e.kind),
            )
        })?;
        m.elements.push(Element {
            id: e.id,
            kind,
            name: e.name,
            documentation: e.documentation,
            properties: e.properties.into_iter().collect(),
            line: None,
        });
    }
    for r in y.relationships {
        let kind = RelType::parse(&r.kind).ok_or_else(|| {
            ModelError::new(
                file,
                format!("relationship {} has unknown type {:?}", r.id, r.kind),
            )
        })?;
        m.relationships.push(Relationship {
            id: r.id,
            kind,
            source: r.source,
            target: r.target,
            name: r.name,
            documentation: r.documentation,
            properties: r.properties.into_iter().collect(),
            access_type: r.access,
            modifier: r.influence,
            directed: r.directed,
            line: None,
        });
    }
    crate::validate::references(file, &m)?;
    m.raw_views = views(file, &m, y.views)?;
    Ok(m)
}

/// The YAML views, checked against the model, as the exchange format's views.
fn views(file: &str, m: &Model, ys: Vec<YView>) -> Result<Option<String>> {
    use crate::native_views::{ConnB, NodeB, ViewB};
    use std::collections::HashSet;
    let idx = m.index();
    let mut ids: HashSet<String> = m
        .elements
        .iter()
        .map(|e| e.id.clone())
        .chain(m.relationships.iter().map(|r| r.id.clone()))
        .collect();
    let bad = |msg: String| ModelError::new(file, msg);
    let mut fresh = |id: &str, what: &str| -> Result<()> {
        if id.is_empty() || !ids.insert(id.to_string()) {
            return Err(bad(format!(
                "{what} id {id:?} is empty or already used (ids are shared by concepts, views, nodes and connections)"
            )));
        }
        Ok(())
    };
    let mut out = Vec::new();
    for yv in ys {
        fresh(&yv.id, "view")?;
        let mut v = ViewB {
            id: yv.id.clone(),
            name: yv.name,
            ..Default::default()
        };
        // Depth-first, parents before children; the stack holds (node, parent index, depth).
        let mut stack: Vec<(YNode, Option<usize>, usize)> =
            yv.nodes.into_iter().rev().map(|n| (n, None, 0)).collect();
        while let Some((n, parent, depth)) = stack.pop() {
            if depth > 32 {
                return Err(bad(format!(
                    "view {}: nodes nested more than 32 deep",
                    yv.id
                )));
            }
            fresh(&n.id, "node")?;
            let coords = [n.x, n.y, n.w, n.h];
            if coords.iter().any(|c| !c.is_finite() || c.abs() > 1e7) || n.w < 0.0 || n.h < 0.0 {
                return Err(bad(format!(
                    "view {} node {}: bounds out of range",
                    yv.id, n.id
                )));
            }
            let (kind, label) = match (&n.element, &n.label, &n.note) {
                (Some(e), None, None) => {
                    if !idx.elements.contains_key(e.as_str()) {
                        return Err(bad(format!(
                            "view {} node {} shows element {e:?}, which the model does not have",
                            yv.id, n.id
                        )));
                    }
                    ("Element", String::new())
                }
                (None, Some(l), None) => ("Container", l.clone()),
                (None, None, Some(t)) => ("Label", t.clone()),
                _ => {
                    return Err(bad(format!(
                        "view {} node {}: give exactly one of element, label (a group) or note",
                        yv.id, n.id
                    )));
                }
            };
            let fill = match n.fill.as_deref() {
                None => None,
                Some(f) => Some(crate::style::parse_hex(f).ok_or_else(|| {
                    bad(format!(
                        "view {} node {}: fill {f:?} is not a colour like \"#0080c0\"",
                        yv.id, n.id
                    ))
                })?),
            };
            let i = v.nodes.len();
            v.nodes.push(NodeB {
                id: n.id,
                kind,
                element: n.element,
                label,
                view_ref: None,
                abs: (n.x, n.y, n.w, n.h),
                children: Vec::new(),
                style: crate::style::Style {
                    fill,
                    ..Default::default()
                },
            });
            match parent {
                Some(p) => {
                    if let Some(pn) = v.nodes.get_mut(p) {
                        pn.children.push(i);
                    }
                }
                None => v.top.push(i),
            }
            stack.extend(n.nodes.into_iter().rev().map(|c| (c, Some(i), depth + 1)));
        }
        let shown: std::collections::HashMap<String, Option<String>> = v
            .nodes
            .iter()
            .map(|n| (n.id.clone(), n.element.clone()))
            .collect();
        for (k, c) in yv.connections.into_iter().enumerate() {
            let id = c.id.unwrap_or_else(|| format!("{}-c{}", yv.id, k + 1));
            fresh(&id, "connection")?;
            let (Some(src), Some(dst)) = (shown.get(&c.source), shown.get(&c.target)) else {
                return Err(bad(format!(
                    "view {} connection {id}: source and target must be nodes of the view",
                    yv.id
                )));
            };
            if let Some(r) = &c.relationship {
                let Some(rel) = idx.relationships.get(r.as_str()) else {
                    return Err(bad(format!(
                        "view {} connection {id} shows relationship {r:?}, which the model does not have",
                        yv.id
                    )));
                };
                if src.as_deref() != Some(rel.source.as_str())
                    || dst.as_deref() != Some(rel.target.as_str())
                {
                    return Err(bad(format!(
                        "view {} connection {id}: relationship {r} goes from {} to {}, not between the elements of nodes {} and {}",
                        yv.id, rel.source, rel.target, c.source, c.target
                    )));
                }
            }
            v.connections.push(ConnB {
                id,
                relationship: c.relationship,
                source: c.source,
                target: c.target,
                bendpoints: c.bendpoints,
                absolute: true,
                style: Default::default(),
            });
        }
        out.push(v);
    }
    Ok(crate::native_views::exchange_views(&out))
}

/// Writes the YAML form (properties sorted by key).
pub fn write(m: &Model) -> String {
    let y = YModel {
        id: m.id.clone(),
        name: m.name.clone(),
        documentation: m.documentation.clone(),
        properties: m.properties.iter().cloned().collect(),
        elements: m
            .elements
            .iter()
            .map(|e| YElement {
                id: e.id.clone(),
                kind: e.kind.name().into(),
                name: e.name.clone(),
                documentation: e.documentation.clone(),
                properties: e.properties.iter().cloned().collect(),
            })
            .collect(),
        relationships: m
            .relationships
            .iter()
            .map(|r| YRel {
                id: r.id.clone(),
                kind: r.kind.name().into(),
                source: r.source.clone(),
                target: r.target.clone(),
                name: r.name.clone(),
                documentation: r.documentation.clone(),
                properties: r.properties.iter().cloned().collect(),
                access: r.access_type.clone(),
                influence: r.modifier.clone(),
                directed: r.directed,
            })
            .collect(),
        organizations: m.organizations.clone(),
        views: Vec::new(),
    };
    yaml_serde::to_string(&y).expect("model serialises")
}
