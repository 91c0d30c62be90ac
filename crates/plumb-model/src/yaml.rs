//! A concise YAML form for architecture kept as code in git:
//!
//! ```yaml
//! id: id-bank
//! name: Small Bank
//! elements:
//!   - {id: fn-payments, type: BusinessFunction, name: Payments, properties: {dora:criticality: critical}}
//! relationships:
//!   - {id: rel-1, type: Serving, source: app-payments, target: fn-payments}
//! ```

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
    Ok(m)
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
    };
    yaml_serde::to_string(&y).expect("model serialises")
}
