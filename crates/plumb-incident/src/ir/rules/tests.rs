//! One test per rule: a complete document passes; each change below breaks exactly the rule
//! it names.

use serde_json::{Value, json};

use super::*;

/// A final report that passes every rule.
fn valid() -> Value {
    json!({
        "incidentSubmission": "final_report",
        "reportCurrency": "EUR",
        "submittingEntity": {"entityType": "SUBMITTING_ENTITY", "name": "Example Bank AG", "LEI": "529900T8BM49AURSDO55"},
        "affectedEntity": [{"entityType": "AFFECTED_ENTITY", "name": "Example Bank AG", "LEI": "529900T8BM49AURSDO55",
                            "affectedEntityType": ["credit_institution"]}],
        "primaryContact": {"name": "Ana Ops", "email": "ana@example.eu", "phone": "+49 30 1234567"},
        "incident": {
            "financialEntityCode": "INC-2026-0001",
            "detectionDateTime": "2026-03-02T09:15:00Z",
            "classificationDateTime": "2026-03-02T10:00:00Z",
            "incidentDescription": "Card payments failed",
            "classificationTypes": [
                {"classificationCriterion": "critical_services_affected"},
                {"classificationCriterion": "geographical_spread", "countryCodeMaterialityThresholds": ["DE", "AT"],
                 "memberStatesImpactType": ["clients"], "memberStatesImpactTypeDescription": "Clients in AT"},
                {"classificationCriterion": "economic_impact", "economicImpactMaterialityThreshold": "EUR 150000 costs"}
            ],
            "incidentType": {"incidentClassification": ["system_failure"]},
            "rootCauseHLClassification": ["system_failure_malfunction"],
            "incidentResolutionSummary": "Rolled back",
            "incidentResolutionDateTime": "2026-03-02T14:00:00Z",
            "incidentResolutionVsPlannedImplementation": "As planned",
            "financialRecoveriesAmount": 0
        },
        "impactAssessment": {
            "criticalServicesAffected": "Card payments",
            "affectedAssets": {"affectedClients": {"number": 1200, "percentage": 12.5},
                               "numbersActualEstimate": ["actual_figures_for_clients_affected"]},
            "isAffectedInfrastructureComponents": "no",
            "serviceImpact": {"isTemporaryActionsMeasuresForRecovery": false}
        }
    })
}

fn broken(mut doc: Value, path: &str, v: Option<Value>) -> Vec<Violation> {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap_or_default();
    let mut at = &mut doc;
    for p in parts {
        at = match p.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[p],
        };
    }
    if let (Ok(i), Some(v)) = (last.parse::<usize>(), v.clone())
        && at.is_array()
    {
        at[i] = v;
        return check(&doc, Version::V1_2_1);
    }
    match (v, at.as_object_mut()) {
        (Some(v), Some(m)) => {
            m.insert(last.to_string(), v);
        }
        (None, Some(m)) => {
            m.remove(last);
        }
        _ => panic!("no object at {path}"),
    }
    check(&doc, Version::V1_2_1)
}

/// `doc` with `path` set (or removed) breaks a rule of field `field` mentioning `words`.
fn breaks(path: &str, v: Option<Value>, field: &str, words: &str) {
    let found = broken(valid(), path, v);
    assert!(
        found
            .iter()
            .any(|x| x.field == field && x.rule.contains(words)),
        "{path}: expected a violation of {field} saying {words:?}, got {found:#?}"
    );
}

#[test]
fn the_complete_final_report_passes_every_rule() {
    assert_eq!(check(&valid(), Version::V1_2_1), vec![]);
    assert_eq!(check(&valid(), Version::V1_3), vec![]);
}

#[test]
fn base_members_are_required_in_every_report() {
    breaks("incidentSubmission", None, "1.1", "required");
    breaks("submittingEntity.name", None, "1.2", "every report");
    breaks("primaryContact.email", None, "1.8", "every report");
    breaks("incident.incidentDescription", None, "2.4", "every report");
    breaks("incident.classificationTypes", None, "2.5", "every report");
    breaks(
        "affectedEntity.0.affectedEntityType",
        None,
        "1.4",
        "every affected entity",
    );
}

#[test]
fn an_initial_notification_needs_only_the_base() {
    let mut d = valid();
    d["incidentSubmission"] = json!("initial_notification");
    d.as_object_mut().map(|m| m.remove("impactAssessment"));
    if let Some(m) = d["incident"].as_object_mut() {
        for k in [
            "incidentType",
            "rootCauseHLClassification",
            "incidentResolutionSummary",
            "incidentResolutionDateTime",
            "incidentResolutionVsPlannedImplementation",
            "financialRecoveriesAmount",
        ] {
            m.remove(k);
        }
    }
    assert_eq!(check(&d, Version::V1_2_1), vec![]);
    // But IR 1.3 wants the economic threshold with its criterion from the first report.
    let mut no_econ = d.clone();
    no_econ["incident"]["classificationTypes"][2]
        .as_object_mut()
        .map(|m| m.remove("economicImpactMaterialityThreshold"));
    assert_eq!(check(&no_econ, Version::V1_2_1), vec![]);
    assert!(
        check(&no_econ, Version::V1_3)
            .iter()
            .any(|v| v.field == "4.12")
    );
}

#[test]
fn intermediate_and_final_reports_need_the_impact_assessment() {
    breaks("impactAssessment", None, "-", "intermediate and final");
    breaks("incident.financialEntityCode", None, "2.1", "intermediate");
    breaks("incident.incidentType", None, "3.23", "intermediate");
    breaks(
        "impactAssessment.criticalServicesAffected",
        None,
        "3.22",
        "intermediate",
    );
    breaks("impactAssessment.affectedAssets", None, "-", "intermediate");
    breaks(
        "impactAssessment.isAffectedInfrastructureComponents",
        None,
        "3.28",
        "intermediate",
    );
    breaks("impactAssessment.serviceImpact", None, "-", "intermediate");
}

#[test]
fn the_final_report_needs_root_causes_and_resolution() {
    for (path, field) in [
        ("incident.rootCauseHLClassification", "4.1"),
        ("incident.incidentResolutionSummary", "4.6"),
        ("incident.incidentResolutionDateTime", "4.8"),
        ("incident.incidentResolutionVsPlannedImplementation", "4.9"),
        ("incident.financialRecoveriesAmount", "4.14"),
    ] {
        breaks(path, None, field, "final report");
    }
    // The same document as an intermediate report does not need them.
    let mut d = valid();
    d["incidentSubmission"] = json!("intermediate_report");
    d["incident"]
        .as_object_mut()
        .map(|m| m.remove("incidentResolutionSummary"));
    assert_eq!(check(&d, Version::V1_2_1), vec![]);
}

#[test]
fn per_criterion_members_live_in_their_items() {
    breaks(
        "incident.classificationTypes.1.countryCodeMaterialityThresholds",
        None,
        "2.6",
        "geographical_spread item",
    );
    breaks(
        "incident.classificationTypes.1.memberStatesImpactType",
        None,
        "3.18",
        "geographical_spread item",
    );
    breaks(
        "incident.classificationTypes.2.economicImpactMaterialityThreshold",
        None,
        "4.12",
        "economic_impact item",
    );
    breaks(
        "incident.classificationTypes.0",
        Some(json!({"classificationCriterion": "data_losses"})),
        "3.20",
        "data_losses item",
    );
    breaks(
        "incident.classificationTypes.0",
        Some(json!({"classificationCriterion": "reputational_impact"})),
        "3.13",
        "reputational_impact item",
    );
    breaks(
        "incident.classificationTypes.0",
        Some(json!({"classificationCriterion": "economic_impact"})),
        "2.5",
        "twice",
    );
}

#[test]
fn required_if_rules_follow_their_trigger() {
    breaks(
        "incident.incidentType",
        Some(json!({"incidentClassification": ["other"]})),
        "3.24",
        "3.23 lists other",
    );
    let cyber = json!({"incidentClassification": ["cybersecurity-related"]});
    breaks(
        "incident.incidentType",
        Some(cyber.clone()),
        "3.25",
        "cybersecurity",
    );
    breaks(
        "incident.incidentType",
        Some(cyber),
        "3.35",
        "cybersecurity",
    );
    breaks(
        "incident.incidentType",
        Some(
            json!({"incidentClassification": ["cybersecurity-related"], "threatTechniques": ["other"], "indicatorsOfCompromise": "1.2.3.4"}),
        ),
        "3.26",
        "3.25 lists other",
    );
    breaks(
        "reportingToOtherAuthorities",
        Some(json!(["csirt", "other"])),
        "3.32",
        "3.31 lists other",
    );
    breaks(
        "incident.rootCausesDetailedClassification",
        Some(json!(["system_failure_other"])),
        "4.4",
        "other root cause",
    );
    breaks(
        "impactAssessment.serviceImpact",
        Some(json!({"isTemporaryActionsMeasuresForRecovery": true})),
        "3.34",
        "3.33",
    );
    breaks(
        "impactAssessment.serviceImpact",
        Some(json!({"serviceDowntime": "000:03:00"})),
        "3.3",
        "downtime",
    );
    breaks(
        "impactAssessment.serviceImpact",
        Some(json!({"serviceDowntime": "000:03:00"})),
        "3.17",
        "downtime",
    );
    breaks(
        "incident.recurringNonMajorIncidentsDescription",
        Some(json!("Three outages of the same kind")),
        "4.16",
        "4.15",
    );
    // Satisfied triggers break nothing.
    let found = broken(
        valid(),
        "impactAssessment.serviceImpact",
        Some(json!({"isTemporaryActionsMeasuresForRecovery": true,
                    "descriptionOfTemporaryActionsMeasuresForRecovery": "Failover to the second site"})),
    );
    assert_eq!(found, vec![]);
}

#[test]
fn entity_rules() {
    breaks("submittingEntity.LEI", None, "1.3", "identification code");
    breaks(
        "submittingEntity.code",
        Some(json!("529900T8BM49AURSDO55")),
        "1.3b",
        "holds an LEI",
    );
    breaks(
        "submittingEntity.entityType",
        Some(json!("AFFECTED_ENTITY")),
        "-",
        "SUBMITTING_ENTITY",
    );
    breaks("affectedEntity.0.entityType", None, "-", "AFFECTED_ENTITY");
    // IR 1.2 takes one identifier; 1.2.1 takes both.
    let mut both = valid();
    both["submittingEntity"]["code"] = json!("NCA-7");
    assert_eq!(check(&both, Version::V1_2_1), vec![]);
    assert!(
        check(&both, Version::V1_2)
            .iter()
            .any(|v| v.rule.contains("not both"))
    );
}

#[test]
fn members_have_their_types_and_spellings() {
    breaks(
        "incidentSubmission",
        Some(json!("final")),
        "1.1",
        "not a value",
    );
    breaks("reportCurrency", Some(json!("USD")), "1.15", "not a value");
    breaks(
        "affectedEntity.0.affectedEntityType",
        Some(json!("credit_institution")),
        "1.4",
        "must be a list",
    );
    breaks(
        "affectedEntity.0.affectedEntityType",
        Some(json!([])),
        "1.4",
        "empty list",
    );
    breaks(
        "incident.classificationTypes.1.countryCodeMaterialityThresholds",
        Some(json!(["EL"])),
        "2.6",
        "not a value",
    );
    breaks(
        "incident.rootCauseHLClassification",
        Some(json!([
            "system_failure_malfunction",
            "system_failure_malfunction"
        ])),
        "4.1",
        "twice",
    );
    breaks(
        "incident.detectionDateTime",
        Some(json!("2026-03-02T10:15:00+01:00")),
        "2.2",
        "UTC",
    );
    breaks(
        "incident.detectionDateTime",
        Some(json!("yesterday")),
        "2.2",
        "UTC",
    );
    breaks(
        "incident.incidentDescription",
        Some(json!("")),
        "2.4",
        "empty",
    );
    breaks(
        "incident.incidentDescription",
        Some(json!("x".repeat(32_768))),
        "2.4",
        "longer than",
    );
    breaks(
        "incident.financialRecoveriesAmount",
        Some(json!("0")),
        "4.14",
        "number",
    );
    breaks(
        "incident.financialRecoveriesAmount",
        Some(json!(-5)),
        "4.14",
        "not negative",
    );
    breaks(
        "impactAssessment.affectedAssets.affectedClients",
        Some(json!({"number": 1.5, "percentage": 101})),
        "3.4",
        "whole number",
    );
    breaks(
        "impactAssessment.affectedAssets.affectedClients",
        Some(json!({"number": 1, "percentage": 101})),
        "3.5",
        "0 to 100",
    );
    breaks(
        "impactAssessment.serviceImpact",
        Some(
            json!({"serviceDowntime": "3h", "serviceRestorationDateTime": "2026-03-02T14:00:00Z"}),
        ),
        "3.16",
        "DDD:HH:MM",
    );
    breaks(
        "impactAssessment.serviceImpact",
        Some(json!({"isTemporaryActionsMeasuresForRecovery": "yes"})),
        "3.33",
        "true or false",
    );
    breaks(
        "submittingEntity.LEI",
        Some(json!("NOT-AN-LEI")),
        "1.3a",
        "not an LEI",
    );
    breaks(
        "primaryContact.email",
        Some(json!("ana at example")),
        "1.8",
        "e-mail",
    );
    breaks(
        "primaryContact.phone",
        Some(json!("call me")),
        "1.9",
        "telephone",
    );
    breaks(
        "primaryContact.phone",
        Some(json!("030 1234")),
        "1.9",
        "telephone",
    );
    breaks(
        "incident.severity",
        Some(json!("high")),
        "-",
        "not a member",
    );
    breaks(
        "impactAssessment",
        Some(json!("bad")),
        "-",
        "must be an object",
    );
    breaks("affectedEntity", Some(json!({})), "-", "non-empty array");
}

#[test]
fn the_schemas_patterns_are_read_as_the_schema_means_them() {
    for ok in [
        "+49 30 1234567",
        "+44 (20) 7946-0958",
        "12",
        "+31.20.5550100",
    ] {
        assert!(phone(ok), "{ok}");
    }
    for bad in [
        "",
        "+",
        "1",
        "+1 555 0100",
        "012345",
        "+49--30",
        "+49 (30 123",
        "+49 30 12x",
    ] {
        assert!(!phone(bad), "{bad}");
    }
    for ok in ["031:06:30", "1:00:00", "999:23:59"] {
        assert!(duration(ok), "{ok}");
    }
    for bad in [
        "1000:00:00",
        "01:24:00",
        "01:00:60",
        "01:0:00",
        "01:00",
        "a:00:00",
    ] {
        assert!(!duration(bad), "{bad}");
    }
}

#[test]
fn anything_that_is_not_an_object_is_refused_without_a_panic() {
    for v in [json!(null), json!([]), json!("final_report"), json!(3)] {
        assert_eq!(check(&v, Version::V1_2_1).len(), 1);
    }
    // Hostile shapes inside: members of the wrong kind everywhere.
    let d = json!({"incidentSubmission": ["final_report"], "incident": [], "affectedEntity": [1, "x"],
                   "submittingEntity": {"LEI": {}, "code": []}});
    assert!(!check(&d, Version::V1_2_1).is_empty());
}
