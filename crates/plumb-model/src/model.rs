//! The in-memory model: one graph of elements and relationships with properties, the
//! organisation tree, and (from the exchange format) views and metadata kept verbatim.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::types::{ElementType, RelType};

/// A property: key (the property definition's name) and value.
pub type Properties = Vec<(String, String)>;

/// An element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Identifier (an XML NCName in the exchange format).
    pub id: String,
    /// Type.
    pub kind: ElementType,
    /// Name (junctions may have none).
    pub name: String,
    /// Documentation.
    pub documentation: Option<String>,
    /// Properties, in document order.
    pub properties: Properties,
    /// Line in the source file, where it has lines.
    pub line: Option<u64>,
}

/// A relationship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    /// Identifier.
    pub id: String,
    /// Type.
    pub kind: RelType,
    /// Source concept id (an element or a relationship).
    pub source: String,
    /// Target concept id (an element or a relationship).
    pub target: String,
    /// Name.
    pub name: String,
    /// Documentation.
    pub documentation: Option<String>,
    /// Properties.
    pub properties: Properties,
    /// Access type (Access, Read, Write, ReadWrite) for Access relationships.
    pub access_type: Option<String>,
    /// Influence strength (modifier) for Influence relationships.
    pub modifier: Option<String>,
    /// Directed flag for Association relationships.
    pub directed: Option<bool>,
    /// Line in the source file.
    pub line: Option<u64>,
}

impl Element {
    /// An element with an id, a type and a name, and nothing else.
    pub fn new(id: impl Into<String>, kind: ElementType, name: impl Into<String>) -> Element {
        Element {
            id: id.into(),
            kind,
            name: name.into(),
            documentation: None,
            properties: Vec::new(),
            line: None,
        }
    }
}

impl Relationship {
    /// A relationship with an id, a type, a source and a target, and nothing else.
    pub fn new(
        id: impl Into<String>,
        kind: RelType,
        source: impl Into<String>,
        target: impl Into<String>,
    ) -> Relationship {
        Relationship {
            id: id.into(),
            kind,
            source: source.into(),
            target: target.into(),
            name: String::new(),
            documentation: None,
            properties: Vec::new(),
            access_type: None,
            modifier: None,
            directed: None,
            line: None,
        }
    }
}

/// A folder or a reference in the organisation tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgItem {
    /// Folder label (for folders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Referenced concept (for leaves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Children.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<OrgItem>,
}

/// A whole model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    /// Model identifier.
    pub id: String,
    /// Model name.
    pub name: String,
    /// Documentation (purpose).
    pub documentation: Option<String>,
    /// Model properties.
    pub properties: Properties,
    /// Elements.
    pub elements: Vec<Element>,
    /// Relationships.
    pub relationships: Vec<Relationship>,
    /// Organisation (folder) tree.
    pub organizations: Vec<OrgItem>,
    /// Property definition types by name, where the source gave them (default `string`).
    pub property_types: BTreeMap<String, String>,
    /// `<metadata>` of an exchange file, verbatim.
    pub raw_metadata: Option<String>,
    /// `<views>` of an exchange file, verbatim (kept, not interpreted).
    pub raw_views: Option<String>,
    /// What reading it did that its author should know: each conversion from ArchiMate 2.x
    /// and each relationship the conversion could not make valid. Not part of the model.
    pub notes: Vec<String>,
}

/// A model's concepts by id.
pub struct Index<'m> {
    /// Elements by id.
    pub elements: HashMap<&'m str, &'m Element>,
    /// Relationships by id.
    pub relationships: HashMap<&'m str, &'m Relationship>,
}

impl Model {
    /// Indexes concepts by id.
    pub fn index(&self) -> Index<'_> {
        Index {
            elements: self.elements.iter().map(|e| (e.id.as_str(), e)).collect(),
            relationships: self
                .relationships
                .iter()
                .map(|r| (r.id.as_str(), r))
                .collect(),
        }
    }

    /// A property of an element.
    pub fn prop<'a>(e: &'a Element, key: &str) -> Option<&'a str> {
        e.properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The graph in a canonical text form: elements and relationships sorted by id, properties
    /// sorted. Two models with the same graph have the same canonical form, whatever the
    /// format they came from; line numbers, views and folder order do not count.
    pub fn canonical(&self) -> String {
        let mut out = format!(
            "model {:?} {:?} {:?}\n",
            self.id,
            self.name,
            self.documentation.as_deref().unwrap_or("")
        );
        let sorted = |p: &Properties| {
            let mut v = p.clone();
            v.sort();
            v
        };
        out.push_str(&format!("props {:?}\n", sorted(&self.properties)));
        let mut els: Vec<&Element> = self.elements.iter().collect();
        els.sort_by(|a, b| a.id.cmp(&b.id));
        for e in els {
            out.push_str(&format!(
                "E {} {} {:?} {:?} {:?}\n",
                e.id,
                e.kind.name(),
                e.name,
                e.documentation.as_deref().unwrap_or(""),
                sorted(&e.properties)
            ));
        }
        let mut rels: Vec<&Relationship> = self.relationships.iter().collect();
        rels.sort_by(|a, b| a.id.cmp(&b.id));
        for r in rels {
            out.push_str(&format!(
                "R {} {} {} {} {:?} {:?} {:?} {:?} {:?} {:?}\n",
                r.id,
                r.kind.name(),
                r.source,
                r.target,
                r.name,
                r.documentation.as_deref().unwrap_or(""),
                sorted(&r.properties),
                r.access_type,
                r.modifier,
                r.directed
            ));
        }
        out
    }

    /// SHA-256 of the canonical form (hex): the model's identity in the ledger.
    pub fn digest(&self) -> String {
        plumb_base::sha256_hex(self.canonical().as_bytes())
    }
}
