//! The voluntary notification of a significant cyber threat in the authorities' CYB JSON
//! structure (ITS 2025/302 Annexes III-IV; CYB-1.1 as summarised in docs/incidents.md): the
//! entity and its contacts from the configuration, the threat from what the incident manager
//! recorded. Written and checked through one table, like the IR report.

use serde_json::{Map, Value, json};

use super::layout::{Kind, Place};
use super::rules::{Violation, present, shape};
use crate::config::Entity;
use crate::report::{CRITERIA, ENTITY_TYPES};
use plumb_records::threat::{ThreatDetails, ThreatStatus};

const fn p(code: &'static str, path: &'static str, kind: Kind) -> Place {
    Place { code, path, kind }
}

/// Every member of the notification, fields 1 to 20.
pub const CYB_PLACES: &[Place] = &[
    p("1", "submittingEntity.name", Kind::Text),
    p("2", "submittingEntity.code", Kind::Text),
    p(
        "3",
        "submittingEntity.typeOfSubmittingFinancialEntity",
        Kind::EnumList(ENTITY_TYPES),
    ),
    p("4", "affectedFinancialEntity.name", Kind::Text),
    p("5", "affectedFinancialEntity.LEI", Kind::Lei),
    p("6", "primaryContact.name", Kind::Text),
    p("7", "primaryContact.email", Kind::Email),
    p("8", "primaryContact.phone", Kind::Phone),
    p("9", "secondaryContact.name", Kind::Text),
    p("10", "secondaryContact.email", Kind::Email),
    p("11", "secondaryContact.phone", Kind::Phone),
    p("12", "cyberThreat.detectionDateTime", Kind::DateTime),
    p("13", "cyberThreat.cyberThreatDescription", Kind::Text),
    p("14", "cyberThreat.potentialImpactInformation", Kind::Text),
    p(
        "15",
        "cyberThreat.potentialClassificationCriteria",
        Kind::EnumList(CRITERIA),
    ),
    p(
        "16",
        "cyberThreat.status",
        Kind::Enum(&["active", "inactive"]),
    ),
    p(
        "17",
        "cyberThreat.actionsTakenToPreventMaterialisation",
        Kind::Text,
    ),
    p(
        "18",
        "cyberThreat.notificationToOtherStakeholders",
        Kind::Text,
    ),
    p("19", "cyberThreat.indicatorsOfCompromise", Kind::Text),
    p("20", "cyberThreat.otherRelevantInformation", Kind::Text),
];

/// Members every notification needs (the contacts in full, the threat's fields 12 to 17, and
/// who the entity is).
const REQUIRED: &[&str] = &[
    "submittingEntity.name",
    "submittingEntity.code",
    "affectedFinancialEntity.name",
    "affectedFinancialEntity.LEI",
    "primaryContact.name",
    "primaryContact.email",
    "primaryContact.phone",
    "cyberThreat.detectionDateTime",
    "cyberThreat.cyberThreatDescription",
    "cyberThreat.potentialImpactInformation",
    "cyberThreat.potentialClassificationCriteria",
    "cyberThreat.status",
    "cyberThreat.actionsTakenToPreventMaterialisation",
];

fn utc(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        })
        .unwrap_or_else(|_| s.to_string())
}

/// The notification for `d`, from `e`.
pub fn document(d: &ThreatDetails, e: &Entity) -> Value {
    let sub = e.submitting.as_ref();
    let contact =
        |c: &crate::config::Contact| json!({"name": c.name, "email": c.email, "phone": c.phone});
    let mut threat = Map::new();
    let mut put = |k: &str, v: Option<&String>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            threat.insert(k.into(), Value::String(v.clone()));
        }
    };
    put("detectionDateTime", Some(&utc(&d.detected_at)));
    put("cyberThreatDescription", Some(&d.description));
    put("potentialImpactInformation", Some(&d.potential_impact));
    put(
        "actionsTakenToPreventMaterialisation",
        Some(&d.actions_taken),
    );
    put(
        "notificationToOtherStakeholders",
        d.stakeholders_notified.as_ref(),
    );
    put(
        "indicatorsOfCompromise",
        d.indicators_of_compromise.as_ref(),
    );
    put("otherRelevantInformation", d.other_information.as_ref());
    if !d.criteria.is_empty() {
        threat.insert("potentialClassificationCriteria".into(), json!(d.criteria));
    }
    threat.insert(
        "status".into(),
        json!(match d.status {
            ThreatStatus::Active => "active",
            ThreatStatus::Inactive => "inactive",
        }),
    );
    let mut doc = json!({
        "submittingEntity": {
            "name": sub.map_or(&e.name, |s| &s.name),
            "code": sub.map_or(&e.lei, |s| &s.code),
            "typeOfSubmittingFinancialEntity": [e.entity_type],
        },
        "affectedFinancialEntity": {"name": e.name, "LEI": e.lei},
        "primaryContact": contact(&e.contact),
        "cyberThreat": threat,
    });
    if let (Some(c), Some(m)) = (&e.second_contact, doc.as_object_mut()) {
        m.insert("secondaryContact".into(), contact(c));
    }
    doc
}

/// Every rule the notification breaks.
pub fn check(doc: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    if !doc.is_object() {
        out.push(Violation::new(
            "-",
            "",
            "the document must be a JSON object",
        ));
        return out;
    }
    shape(doc, "", CYB_PLACES, &mut out);
    let code = |path: &str| {
        CYB_PLACES
            .iter()
            .find(|p| p.path == path)
            .map_or("-", |p| p.code)
    };
    for path in REQUIRED {
        if !present(doc, path) {
            out.push(Violation::new(
                code(path),
                path,
                "is required in every notification",
            ));
        }
    }
    if doc.get("secondaryContact").is_some() {
        for path in [
            "secondaryContact.name",
            "secondaryContact.email",
            "secondaryContact.phone",
        ] {
            if !present(doc, path) {
                out.push(Violation::new(
                    code(path),
                    path,
                    "is required when a second contact is given",
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity() -> Entity {
        yaml_serde::from_str(
            "{name: Small Bank AG, lei: 5299000SMALLBANK0E92, type: credit_institution, member_state: DE, contact: {name: Dana, email: dana@bank.example, phone: '+49 69 1234'}}",
        )
        .expect("entity")
    }

    fn details() -> ThreatDetails {
        yaml_serde::from_str(include_str!("../../../../examples/incident/threat.yaml"))
            .expect("the example parses")
    }

    #[test]
    fn the_example_gives_a_notification_that_passes_every_rule() {
        let doc = document(&details(), &entity());
        assert_eq!(check(&doc), vec![]);
        assert_eq!(doc["cyberThreat"]["status"], "active");
        assert_eq!(
            doc["cyberThreat"]["detectionDateTime"],
            "2026-11-27T07:40:00Z"
        );
        assert_eq!(
            doc["submittingEntity"]["typeOfSubmittingFinancialEntity"],
            json!(["credit_institution"])
        );
        assert!(doc["cyberThreat"].get("otherRelevantInformation").is_none());
    }

    #[test]
    fn each_rule_is_enforced() {
        let base = document(&details(), &entity());
        let broken = |f: &dyn Fn(&mut Value)| {
            let mut d = base.clone();
            f(&mut d);
            check(&d)
        };
        let has = |v: Vec<Violation>, field: &str, words: &str| {
            assert!(
                v.iter().any(|x| x.field == field && x.rule.contains(words)),
                "{field} {words}: {v:#?}"
            );
        };
        has(
            broken(&|d| {
                d["cyberThreat"]
                    .as_object_mut()
                    .map(|m| m.remove("actionsTakenToPreventMaterialisation"));
            }),
            "17",
            "required",
        );
        has(
            broken(&|d| d["cyberThreat"]["status"] = json!("dormant")),
            "16",
            "not a value",
        );
        has(
            broken(&|d| d["cyberThreat"]["potentialClassificationCriteria"] = json!(["luck"])),
            "15",
            "not a value",
        );
        has(
            broken(&|d| d["secondaryContact"] = json!({"name": "Eve"})),
            "10",
            "second contact",
        );
        has(
            broken(&|d| d["primaryContact"]["phone"] = json!("n/a")),
            "8",
            "telephone",
        );
        has(
            broken(&|d| d["cyberThreat"]["severity"] = json!("high")),
            "-",
            "not a member",
        );
        has(
            broken(&|d| d["affectedFinancialEntity"]["LEI"] = json!("X")),
            "5",
            "not an LEI",
        );
        assert_eq!(check(&json!([1])).len(), 1);
    }
}
