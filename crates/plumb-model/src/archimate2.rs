//! ArchiMate 2.x models converted to 3.x as Archi converts them when it opens one: the 2.x
//! names of the technology layer and of three relationships are renamed, and relationships
//! that 3.x no longer allows between their elements are reported with the types it does
//! allow. Every conversion is listed; nothing is dropped.

use std::collections::BTreeMap;

use crate::model::Model;

/// The 3.x name of a 2.x element type that was renamed, if it was.
pub fn element_type(name: &str) -> Option<&'static str> {
    Some(match name {
        "InfrastructureService" => "TechnologyService",
        "InfrastructureInterface" => "TechnologyInterface",
        "InfrastructureFunction" => "TechnologyFunction",
        "Network" => "CommunicationNetwork",
        "CommunicationPath" => "Path",
        _ => return None,
    })
}

/// The 3.x name of a 2.x relationship type that was renamed, if it was (with or without the
/// `Relationship` suffix 2.x files carry).
pub fn relationship_type(name: &str) -> Option<&'static str> {
    Some(match name.strip_suffix("Relationship").unwrap_or(name) {
        "UsedBy" => "Serving",
        "Realisation" => "Realization",
        "Specialisation" => "Specialization",
        _ => return None,
    })
}

/// What a conversion did, counted per rename, and what it could not make valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversion {
    /// `(2.x name, 3.x name)` → how many concepts were renamed.
    pub renamed: BTreeMap<(String, String), usize>,
}

impl Conversion {
    /// Counts one rename.
    pub fn rename(&mut self, from: &str, to: &str) {
        *self
            .renamed
            .entry((from.to_string(), to.to_string()))
            .or_default() += 1;
    }

    /// The notes for people: each rename with its count, then each relationship 3.x does not
    /// allow between its elements, with the types it allows there.
    pub fn notes(&self, m: &Model, format: &str) -> Vec<String> {
        let mut out = vec![format!(
            "converted from ArchiMate 2.x ({format}) as Archi converts it on opening"
        )];
        for ((from, to), n) in &self.renamed {
            out.push(format!("{n} × {from} renamed {to}"));
        }
        let idx = m.index();
        for r in &m.relationships {
            let (Some(s), Some(t)) = (
                idx.elements.get(r.source.as_str()),
                idx.elements.get(r.target.as_str()),
            ) else {
                continue;
            };
            if crate::rules::allowed(s.kind, r.kind, t.kind) {
                continue;
            }
            let alternatives = crate::rules::allowed_types(s.kind.rule_name(), t.kind.rule_name());
            out.push(format!(
                "relationship {} ({} from {} {:?} to {} {:?}) is not allowed in ArchiMate 3.x; allowed there: {}",
                r.id,
                r.kind.name(),
                s.kind.name(),
                s.name,
                t.kind.name(),
                t.name,
                if alternatives.is_empty() {
                    "none".to_string()
                } else {
                    alternatives
                        .iter()
                        .map(|k| k.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    const V2: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<model xmlns="http://www.opengroup.org/xsd/archimate" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="id-m">
  <name xml:lang="en">Old bank</name>
  <elements>
    <element identifier="id-n" xsi:type="Node"><label xml:lang="en">Mainframe</label></element>
    <element identifier="id-net" xsi:type="Network"><label xml:lang="en">LAN</label></element>
    <element identifier="id-a" xsi:type="ApplicationComponent"><label xml:lang="en">Ledger</label>
      <properties><property identifierref="p1"><value xml:lang="en">critical</value></property></properties>
    </element>
    <element identifier="id-d" xsi:type="DataObject"><label xml:lang="en">Postings</label></element>
  </elements>
  <relationships>
    <relationship identifier="id-r1" source="id-n" target="id-a" xsi:type="UsedByRelationship"/>
    <relationship identifier="id-r2" source="id-d" target="id-n" xsi:type="TriggeringRelationship"/>
  </relationships>
  <organization><item><label xml:lang="en">Technology</label><item identifierref="id-n"/></item></organization>
  <propertydefs><propertydef identifier="p1" name="dora:criticality" type="string"/></propertydefs>
</model>"#;

    #[test]
    fn a_2x_file_is_converted_and_what_3x_forbids_is_reported_with_the_alternatives() {
        let m = crate::exchange::read("old.xml", V2.as_bytes()).unwrap();
        let idx = m.index();
        assert_eq!(
            idx.elements["id-net"].kind,
            crate::ElementType::CommunicationNetwork
        );
        assert_eq!(idx.elements["id-net"].name, "LAN");
        assert_eq!(idx.relationships["id-r1"].kind, crate::RelType::Serving);
        assert_eq!(
            idx.elements["id-a"].properties,
            [("dora:criticality".to_string(), "critical".to_string())]
        );
        assert_eq!(m.organizations[0].label.as_deref(), Some("Technology"));
        assert!(
            m.notes
                .contains(&"1 × UsedByRelationship renamed Serving".to_string())
        );
        assert!(
            m.notes
                .contains(&"1 × Network renamed CommunicationNetwork".to_string())
        );
        let forbidden = m
            .notes
            .iter()
            .find(|n| n.starts_with("relationship id-r2 (Triggering from DataObject"))
            .unwrap_or_else(|| panic!("{:#?}", m.notes));
        assert!(forbidden.contains("allowed there: "), "{forbidden}");
        assert!(forbidden.contains("Association"), "{forbidden}");
        // Kept, never dropped.
        assert_eq!(m.relationships.len(), 2);
        let refused = crate::exchange::read_converting("old.xml", V2.as_bytes(), false);
        assert!(refused.is_err());
    }
}
