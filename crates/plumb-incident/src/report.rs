//! Report documents with the fields of ITS 2025/302 Annex I (codes 1.x to 4.x): filled from the
//! incident's events, the entity's configuration and the details the incident manager adds,
//! then checked for the fields the stage requires. The same single template serves all three
//! stages (ITS Art. 1); a later stage requires everything an earlier one did.
//!
//! Field labels after 3.5 follow a public JSON Schema of the template (IR-1.2) rather than the
//! Official Journal annex itself; see docs/incidents.md.

use plumb_dora::incident::criterion;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::clock::Stage;
use crate::config::Entity;
use crate::error::{Error, Result};
use crate::event::Incident;
use plumb_records::incident::{Assessment, Reputation};

/// Schema id of the documents.
pub const SCHEMA: &str = "https://plumbline.dev/dora/incident-report/v1";

/// When a field is required.
#[derive(Debug, Clone, Copy)]
enum Req {
    /// From this stage on.
    From(Stage),
    /// From this stage on, when field 2.5 lists the criterion.
    Criterion(Stage, &'static str),
    /// From this stage on, when field `code` holds (or lists) `value`.
    Value(Stage, &'static str, &'static str),
    /// From this stage on, when field `code` ends with `suffix` (or, for a list, one of its
    /// values does).
    Suffix(Stage, &'static str, &'static str),
    /// From this stage on, when field `code` is `true`.
    True(Stage, &'static str),
    /// From this stage on, when field `code` is given.
    Given(Stage, &'static str),
    /// Never required ("where applicable").
    Optional,
}

use Req::*;
use Stage::{Final as F, Initial as I, Intermediate as M};

/// (code, label, requirement, allowed values)
const FIELDS: &[(&str, &str, Req, &[&str])] = &[
    ("1.1", "Type of submission", From(I), SUBMISSION_TYPES),
    (
        "1.2",
        "Name of the entity submitting the report",
        From(I),
        &[],
    ),
    (
        "1.3",
        "Identification code of the entity submitting the report",
        From(I),
        &[],
    ),
    (
        "1.4",
        "Type of financial entity affected",
        From(I),
        ENTITY_TYPES,
    ),
    ("1.5", "Name of the financial entity affected", From(I), &[]),
    (
        "1.6",
        "LEI code of the financial entity affected",
        From(I),
        &[],
    ),
    ("1.7", "Primary contact person name", From(I), &[]),
    ("1.8", "Primary contact person email", From(I), &[]),
    ("1.9", "Primary contact person telephone", From(I), &[]),
    ("1.10", "Second contact person name", Optional, &[]),
    ("1.11", "Second contact person email", Optional, &[]),
    ("1.12", "Second contact person telephone", Optional, &[]),
    (
        "1.13",
        "Name of the ultimate parent undertaking",
        Optional,
        &[],
    ),
    (
        "1.14",
        "LEI code of the ultimate parent undertaking",
        Optional,
        &[],
    ),
    ("1.15", "Reporting currency", From(I), CURRENCIES),
    (
        "2.1",
        "Incident reference code assigned by the financial entity",
        From(I),
        &[],
    ),
    (
        "2.2",
        "Date and time of detection of the incident",
        From(I),
        &[],
    ),
    (
        "2.3",
        "Date and time of classification of the incident as major",
        From(I),
        &[],
    ),
    ("2.4", "Description of the incident", From(I), &[]),
    (
        "2.5",
        "Classification criteria that triggered the incident report",
        From(I),
        CRITERIA,
    ),
    (
        "2.6",
        "Materiality thresholds for the classification criterion geographical spread",
        Criterion(I, criterion::GEOGRAPHY),
        &[],
    ),
    ("2.7", "Discovery of the incident", From(I), DISCOVERY),
    (
        "2.8",
        "Indication whether the incident originates from a third-party provider or another financial entity",
        Optional,
        &[],
    ),
    (
        "2.9",
        "Activation of business continuity plan, if activated",
        From(I),
        &[],
    ),
    ("2.10", "Other relevant information", Optional, &[]),
    (
        "3.1",
        "Incident reference code provided by the competent authority",
        Optional,
        &[],
    ),
    (
        "3.2",
        "Date and time of occurrence of the incident",
        From(M),
        &[],
    ),
    (
        "3.3",
        "Date and time when services, activities or operations have been recovered",
        Given(M, "3.16"),
        &[],
    ),
    (
        "3.4",
        "Number of clients affected",
        Criterion(M, criterion::CLIENTS),
        &[],
    ),
    ("3.5", "Percentage of clients affected", Optional, &[]),
    (
        "3.6",
        "Number of financial counterparts affected",
        Optional,
        &[],
    ),
    (
        "3.7",
        "Percentage of financial counterparts affected",
        Optional,
        &[],
    ),
    (
        "3.8",
        "Impact on relevant clients or financial counterparts",
        Criterion(M, criterion::CLIENTS),
        &[],
    ),
    ("3.9", "Number of affected transactions", Optional, &[]),
    ("3.10", "Percentage of affected transactions", Optional, &[]),
    ("3.11", "Value of affected transactions", Optional, &[]),
    (
        "3.12",
        "Information whether the numbers are actual or estimates",
        Criterion(M, criterion::CLIENTS),
        ACTUAL_OR_ESTIMATE,
    ),
    (
        "3.13",
        "Reputational impact",
        Criterion(M, criterion::REPUTATION),
        REPUTATION_TYPES,
    ),
    (
        "3.14",
        "Contextual information about the reputational impact",
        Criterion(M, criterion::REPUTATION),
        &[],
    ),
    (
        "3.15",
        "Duration of the incident",
        Criterion(M, criterion::DURATION),
        &[],
    ),
    (
        "3.16",
        "Service downtime",
        Criterion(M, criterion::DURATION),
        &[],
    ),
    (
        "3.17",
        "Information whether duration and downtime are actual or estimates",
        Criterion(M, criterion::DURATION),
        DURATION_ACTUAL_OR_ESTIMATE,
    ),
    (
        "3.18",
        "Types of impact in the Member States",
        Criterion(M, criterion::GEOGRAPHY),
        MEMBER_STATE_IMPACTS,
    ),
    (
        "3.19",
        "Description of how the incident has an impact in other Member States",
        Criterion(M, criterion::GEOGRAPHY),
        &[],
    ),
    (
        "3.20",
        "Materiality thresholds for the classification criterion data losses",
        Criterion(M, criterion::DATA),
        DATA_PROPERTIES,
    ),
    (
        "3.21",
        "Description of the data losses",
        Criterion(M, criterion::DATA),
        &[],
    ),
    (
        "3.22",
        "Classification criterion critical services affected",
        Criterion(M, criterion::CRITICAL),
        &[],
    ),
    ("3.23", "Type of the incident", From(M), INCIDENT_TYPES),
    (
        "3.24",
        "Other types of incidents",
        Value(M, "3.23", "other"),
        &[],
    ),
    (
        "3.25",
        "Threats and techniques used by the threat actor",
        Value(M, "3.23", "cybersecurity-related"),
        THREAT_TECHNIQUES,
    ),
    (
        "3.26",
        "Other types of techniques",
        Value(M, "3.25", "other"),
        &[],
    ),
    (
        "3.27",
        "Information about affected functional areas and business processes",
        From(M),
        &[],
    ),
    (
        "3.28",
        "Affected infrastructure components supporting business processes",
        From(M),
        YES_NO,
    ),
    (
        "3.29",
        "Information about affected infrastructure components",
        Value(M, "3.28", "yes"),
        &[],
    ),
    (
        "3.30",
        "Impact on the financial interest of clients",
        From(M),
        YES_NO,
    ),
    (
        "3.31",
        "Reporting to other authorities",
        From(M),
        OTHER_AUTHORITIES,
    ),
    (
        "3.32",
        "Specification of other authorities",
        Value(M, "3.31", "other"),
        &[],
    ),
    (
        "3.33",
        "Temporary actions or measures taken or planned to recover from the incident",
        From(M),
        &[],
    ),
    (
        "3.34",
        "Description of any temporary actions and measures",
        True(M, "3.33"),
        &[],
    ),
    (
        "3.35",
        "Indicators of compromise",
        Value(M, "3.23", "cybersecurity-related"),
        &[],
    ),
    (
        "4.1",
        "High-level classification of root causes of the incident",
        From(F),
        ROOT_CAUSES,
    ),
    (
        "4.2",
        "Detailed classification of root causes of the incident",
        From(F),
        DETAILED_ROOT_CAUSES,
    ),
    (
        "4.3",
        "Additional classification of root causes of the incident",
        From(F),
        ADDITIONAL_ROOT_CAUSES,
    ),
    (
        "4.4",
        "Other types of root cause types",
        Suffix(F, "4.2", "_other"),
        &[],
    ),
    (
        "4.5",
        "Information about the root causes of the incident",
        From(F),
        &[],
    ),
    ("4.6", "Incident resolution summary", From(F), &[]),
    (
        "4.7",
        "Date and time when the incident root cause was addressed",
        From(F),
        &[],
    ),
    (
        "4.8",
        "Date and time when the incident was resolved",
        From(F),
        &[],
    ),
    (
        "4.9",
        "Information if the permanent resolution date differs from the initially planned date",
        From(F),
        &[],
    ),
    (
        "4.10",
        "Assessment of risk to critical functions for resolution purposes",
        Optional,
        &[],
    ),
    (
        "4.11",
        "Information relevant for resolution authorities",
        Optional,
        &[],
    ),
    (
        "4.12",
        "Materiality threshold for the classification criterion economic impact",
        Criterion(F, criterion::ECONOMIC),
        &[],
    ),
    (
        "4.13",
        "Amount of gross direct and indirect costs and losses",
        From(F),
        &[],
    ),
    ("4.14", "Amount of financial recoveries", From(F), &[]),
    (
        "4.15",
        "Information whether the non-major incidents have been recurring",
        Optional,
        &[],
    ),
    (
        "4.16",
        "Date and time of occurrence of recurring incidents",
        Optional,
        &[],
    ),
];

/// Fields 3.28 and 3.30 values.
pub const YES_NO: &[&str] = &["yes", "no", "information_not_available"];

/// Field 3.12 values: per dimension, actual figures, estimates or no impact.
pub const ACTUAL_OR_ESTIMATE: &[&str] = &[
    "actual_figures_for_clients_affected",
    "actual_figures_for_financial_counterparts_affected",
    "actual_figures_for_transactions_affected",
    "estimates_for_clients_affected",
    "estimates_for_financial_counterparts_affected",
    "estimates_for_transactions_affected",
    "no_impact_on_clients",
    "no_impact_on_financial_counterparts",
    "no_impact_on_transactions",
];

/// Field 3.13 values, in the order of RTS 2024/1772 Art. 2 (a) to (d).
pub const REPUTATION_TYPES: &[&str] = &[
    "the_major_ict-related_incident_has_been_reflected_in_the_media",
    "the_major_ict-related_incident_has_resulted_in_repetitive_complaints_from_different_clients_or_financial_counterparts_on_client-facing_services_or_critical_business_relationships",
    "the_financial_entity_will_not_be_able_to_or_is_likely_not_to_be_able_to_meet_regulatory_requirements_as_a_result_of_the_major_ict-related_incident",
    "the_financial_entity_will_or_is_likely_to_lose_clients_or_financial_counterparts_with_a_material_impact_on_its_business_as_a_result_of_the_major_ict-related_incident",
];

/// The field 3.13 value of one case of reputational impact.
fn reputation_type(r: Reputation) -> &'static str {
    let i = match r {
        Reputation::Media => 0,
        Reputation::Complaints => 1,
        Reputation::RegulatoryRequirements => 2,
        Reputation::ClientLoss => 3,
    };
    REPUTATION_TYPES[i]
}

/// The field 3.12 values for the numbers the assessment gives: per dimension given, actual
/// figures or estimates, or no impact when none was affected. Dimensions not assessed are
/// left out (unknown is not "no impact").
fn actual_or_estimate(a: &Assessment) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (share, what) in [
        (a.clients, "clients"),
        (a.counterparts, "financial_counterparts"),
        (a.transactions, "transactions"),
    ] {
        let Some(s) = share else { continue };
        let v = if s.affected == 0 {
            format!("no_impact_on_{what}")
        } else if a.estimates {
            format!("estimates_for_{what}_affected")
        } else {
            format!("actual_figures_for_{what}_affected")
        };
        if let Some(known) = ACTUAL_OR_ESTIMATE.iter().find(|x| **x == v) {
            out.push(*known);
        }
    }
    out
}

/// Field 2.5 values: the classification criteria.
pub const CRITERIA: &[&str] = &[
    criterion::CLIENTS,
    criterion::GEOGRAPHY,
    criterion::DATA,
    criterion::CRITICAL,
    criterion::ECONOMIC,
    criterion::REPUTATION,
    criterion::DURATION,
];

/// Field 1.1 values: the type of submission.
pub const SUBMISSION_TYPES: &[&str] = &[
    "initial_notification",
    "intermediate_report",
    "final_report",
    "major_incident_reclassified_as_non-major",
];

/// Field 1.15 values: the reporting currencies.
pub const CURRENCIES: &[&str] = &[
    "EUR", "BGN", "CZK", "DKK", "HUF", "PLN", "RON", "ISK", "CHF", "NOK", "SEK",
];

/// Field 2.7 values: how the incident was discovered.
pub const DISCOVERY: &[&str] = &[
    "it_security",
    "staff",
    "internal_audit",
    "external_audit",
    "clients",
    "financial_counterparts",
    "third-party_provider",
    "attacker",
    "monitoring_systems",
    "authority_agency_law_enforcement_body",
    "other",
];

/// Field 3.17 values.
pub const DURATION_ACTUAL_OR_ESTIMATE: &[&str] = &[
    "actual_figures",
    "estimates",
    "actual_figures_and_estimates",
    "no_information_available",
];

/// Field 3.18 values: types of impact in the Member States.
pub const MEMBER_STATE_IMPACTS: &[&str] = &[
    "clients",
    "financial_counterparts",
    "branch_of_the_financial_entity",
    "financial_entities_within_the_group_carrying_out_activities_in_the_respective_member_state",
    "financial_market_infrastructure",
    "third-party_providers_that_may_be_common_to_other_financial_entities",
];

/// Field 3.20 values: the data properties of RTS 2024/1772 Art. 5.
pub const DATA_PROPERTIES: &[&str] = &[
    "availability",
    "authenticity",
    "integrity",
    "confidentiality",
];

/// Field 3.23 values: types of incident.
pub const INCIDENT_TYPES: &[&str] = &[
    "cybersecurity-related",
    "process_failure",
    "system_failure",
    "external_event",
    "payment-related",
    "other",
];

/// Field 3.25 values: threats and techniques.
pub const THREAT_TECHNIQUES: &[&str] = &[
    "social_engineering_including_phishing",
    "ddos",
    "identity_theft",
    "data_encryption_for_impact_including_ransomware",
    "resource_hijacking",
    "data_exfiltration_and_manipulation_including_identity_theft",
    "data_destruction",
    "defacement",
    "supply-chain_attack",
    "other",
];

/// Field 3.31 values: other authorities reported to.
pub const OTHER_AUTHORITIES: &[&str] = &[
    "police_law_enforcement",
    "csirt",
    "data_protection_authority",
    "national_cybersecurity_agency",
    "none",
    "other",
];

/// Field 4.1 values: high-level root causes.
pub const ROOT_CAUSES: &[&str] = &[
    "malicious_actions",
    "process_failure",
    "system_failure_malfunction",
    "human_error",
    "external_event",
];

/// Field 4.2 values: detailed root causes.
pub const DETAILED_ROOT_CAUSES: &[&str] = &[
    "malicious_actions_deliberate_internal_actions",
    "malicious_actions_deliberate_physical_damage_manipulation_theft",
    "malicious_actions_fraudulent_actions",
    "process_failure_insufficient_monitoring_or_failure_of_monitoring_and_control",
    "process_failure_insufficient_unclear_roles_and_responsibilities",
    "process_failure_ICT_risk_management_process_failure",
    "process_failure_insufficient_or_failure_of_ict_operations_and_ict_security_operations",
    "process_failure_insufficient_or_failure_of_ict_project_management",
    "process_failure_inadequacy_of_internal_policies_procedures_and_documentation",
    "process_failure_inadequate_ict_systems_acquisition_development_and_maintenance",
    "process_failure_other",
    "system_failure_hardware_capacity_and_performance",
    "system_failure_hardware_maintenance",
    "system_failure_hardware_obsolescence_ageing",
    "system_failure_software_compatibility_configuration",
    "system_failure_software_performance",
    "system_failure_network_configuration",
    "system_failure_physical_damage",
    "system_failure_other",
    "human_error_omission",
    "human_error_mistake",
    "human_error_skills_knowledge",
    "human_error_inadequate_human_resources",
    "human_error_miscommunication",
    "human_error_other",
    "external_event_natural_disasters_force_majeure",
    "external_event_third-party_failures",
    "external_event_other",
];

/// Field 4.3 values: additional root causes.
pub const ADDITIONAL_ROOT_CAUSES: &[&str] = &[
    "monitoring_of_policy_adherence",
    "monitoring_of_third-party_service_providers",
    "monitoring_and_verification_of_remediation_of_vulnerabilities",
    "identity_and_access_management",
    "encryption_and_cryptography",
    "logging",
    "failure_in_specifying_accurate_risk_tolerance_levels",
    "insufficient_vulnerability_and_threat_assessments",
    "inadequate_risk_treatment_measures",
    "poor_management_of_residual_ict_risks",
    "vulnerability_and_patch_management",
    "change_management",
    "capacity_and_performance_management",
    "ict_asset_management_and_information_classification",
    "backup_and_restore",
    "error_handling",
    "inadequate_ict_systems_acquisition_development_and_maintenance",
    "insufficient_or_failure_of_software_testing",
];

/// Field 1.4 values.
pub const ENTITY_TYPES: &[&str] = &[
    "credit_institution",
    "payment_institution",
    "exempted_payment_institution",
    "account_information_service_provider",
    "electronic_money_institution",
    "exempted_electronic_money_institution",
    "investment_firm",
    "crypto-asset_service_provider",
    "issuer_of_asset-referenced_tokens",
    "central_securities_depository",
    "central_counterparty",
    "trading_venue",
    "trade_repository",
    "manager_of_alternative_investment_fund",
    "management_company",
    "data_reporting_service_provider",
    "insurance_and_reinsurance_undertaking",
    "insurance_intermediary_reinsurance_intermediary_and_ancillary_insurance_intermediary",
    "institution_for_occupational_retirement_provision",
    "credit_rating_agency",
    "administrator_of_critical_benchmarks",
    "crowdfunding_service_provider",
    "securitisation_repository",
];

/// Fields taken from the ledger, which details may not override.
const FROM_LEDGER: &[&str] = &["1.1", "2.1", "2.2", "2.3", "2.5"];

/// A generated report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The document for people: schema, stage, incident and fields by code.
    pub document: Value,
    /// The document for the authority, in the ESAs' IR JSON structure.
    pub ir: Value,
    /// The IR version it is written for.
    pub ir_version: String,
    /// Required fields not filled (`code label`), then every rule the IR document breaks
    /// (`code (path): rule`) that is not already a missing field.
    pub missing: Vec<String>,
}

/// Refuses a value outside field `code`'s enumeration (each element, for lists).
pub fn check_value(code: &str, v: &Value) -> Result<()> {
    let Some((_, name, _, allowed)) = FIELDS.iter().find(|f| f.0 == code) else {
        return Ok(());
    };
    if allowed.is_empty() {
        return Ok(());
    }
    let vals: Vec<&Value> = match v {
        Value::Null => vec![],
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    for v in vals {
        if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
            return Err(Error::invalid(
                format!("field {code}"),
                format!(
                    "{v} is not a value of \"{name}\"; allowed: {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The label of a field code.
pub fn label(code: &str) -> Option<&'static str> {
    FIELDS.iter().find(|f| f.0 == code).map(|f| f.1)
}

fn ddhhmm(minutes: i64) -> String {
    format!(
        "{:03}:{:02}:{:02}",
        minutes / 1440,
        (minutes % 1440) / 60,
        minutes % 60
    )
}

fn filled(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        _ => true,
    }
}

fn holds(v: Option<&Value>, want: &str) -> bool {
    match v {
        Some(Value::String(s)) => s == want,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(want)),
        _ => false,
    }
}

fn required(req: Req, stage: Stage, f: &Map<String, Value>) -> bool {
    match req {
        From(s) => stage >= s,
        Criterion(s, c) => stage >= s && holds(f.get("2.5"), c),
        Value(s, code, v) => stage >= s && holds(f.get(code), v),
        Suffix(s, code, suf) => {
            stage >= s
                && match f.get(code) {
                    Some(Value::String(x)) => x.ends_with(suf),
                    Some(Value::Array(a)) => a
                        .iter()
                        .any(|x| x.as_str().is_some_and(|x| x.ends_with(suf))),
                    _ => false,
                }
        }
        True(s, code) => stage >= s && f.get(code) == Some(&Value::Bool(true)),
        Given(s, code) => stage >= s && filled(f.get(code)),
        Optional => false,
    }
}

/// An amount in the entity's reporting currency: the one given in it, or the EUR one when the
/// reporting currency is EUR. None when only a EUR equivalent of another currency is known.
fn in_reporting_currency<T>(e: &Entity, own: Option<T>, eur: Option<T>) -> Option<T> {
    match own {
        Some(v) => Some(v),
        None if e.currency == "EUR" => eur,
        None => None,
    }
}

/// What the ledger and configuration fill in.
fn derived(stage: Stage, inc: &Incident, e: &Entity, reclassified: bool) -> Map<String, Value> {
    let mut f = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            f.insert(k.into(), v);
        }
    };
    put(
        "1.1",
        json!(if reclassified {
            "major_incident_reclassified_as_non-major"
        } else {
            stage.submission_type()
        }),
    );
    let sub = e.submitting.as_ref();
    put("1.2", json!(sub.map_or(&e.name, |s| &s.name)));
    put("1.3", json!(sub.map_or(&e.lei, |s| &s.code)));
    put("1.4", json!(e.entity_type));
    put("1.5", json!(e.name));
    put("1.6", json!(e.lei));
    put("1.7", json!(e.contact.name));
    put("1.8", json!(e.contact.email));
    put("1.9", json!(e.contact.phone));
    if let Some(c) = &e.second_contact {
        put("1.10", json!(c.name));
        put("1.11", json!(c.email));
        put("1.12", json!(c.phone));
    }
    if let Some(p) = &e.parent {
        put("1.13", json!(p.name));
        put("1.14", json!(p.code));
    }
    put("1.15", json!(e.currency));
    put("2.1", json!(inc.id));
    put("2.2", json!(inc.detected_at));
    put("2.3", json!(inc.classified_major_at));
    put("2.4", json!(inc.description));
    put("2.7", json!(inc.discovery));
    if let Some(c) = &inc.classification {
        put("2.5", json!(c.criteria_met));
    }
    if let Some(a) = &inc.assessment {
        if inc
            .classification
            .as_ref()
            .is_some_and(|c| c.criteria_met.iter().any(|x| x == criterion::GEOGRAPHY))
        {
            // ISO 3166 codes, as the schema takes them: Greece is GR, whatever the EU's EL.
            let states: Vec<&str> = a
                .member_states
                .iter()
                .map(|m| if m == "EL" { "GR" } else { m.as_str() })
                .collect();
            put("2.6", json!(states));
        }
        put(
            "3.2",
            json!(a.occurred_at.clone().unwrap_or(inc.detected_at.clone())),
        );
        if let Some(c) = a.clients {
            put("3.4", json!(c.affected));
            put(
                "3.5",
                json!((c.affected as f64 * 10000.0 / c.total as f64).round() / 100.0),
            );
        }
        if let Some(c) = a.counterparts {
            put("3.6", json!(c.affected));
            put(
                "3.7",
                json!((c.affected as f64 * 10000.0 / c.total as f64).round() / 100.0),
            );
        }
        put("3.8", json!(a.relevant_clients_affected));
        if let Some(t) = a.transactions {
            put("3.9", json!(t.affected));
            put(
                "3.10",
                json!((t.affected as f64 * 10000.0 / t.total as f64).round() / 100.0),
            );
        }
        // Amounts in the reporting currency (1.15); the EUR equivalents serve the thresholds.
        if let Some(v) = in_reporting_currency(e, a.transaction_value, a.transaction_value_eur) {
            put("3.11", json!(v.affected));
        }
        let numbers = actual_or_estimate(a);
        if !numbers.is_empty() {
            put("3.12", json!(numbers));
        }
        if !a.reputational.is_empty() {
            let types: Vec<&str> = a.reputational.iter().map(|r| reputation_type(*r)).collect();
            put("3.13", json!(types));
        }
        if let Some(c) = &inc.classification {
            put("3.15", json!(ddhhmm(c.duration_minutes)));
            put(
                "3.17",
                json!(if a.estimates || inc.resolved_at.is_none() {
                    "estimates"
                } else {
                    "actual_figures"
                }),
            );
            if c.critical_services {
                put("3.22", json!(c.critical_services_detail));
            }
            // 4.12 is text: the threshold as evaluated, in words.
            if let Some(t) = c
                .thresholds
                .iter()
                .find(|t| t.key == plumb_dora::incident::ECONOMIC_EUR.key && t.met)
            {
                put("4.12", json!(format!("{} ({})", t.detail, t.reference)));
            }
        }
        if let Some(d) = a.downtime_minutes {
            put("3.16", json!(ddhhmm(d)));
        }
        if !a.data_losses.is_empty() {
            put("3.20", json!(a.data_losses));
        }
        if let Some(c) = in_reporting_currency(e, a.costs, a.costs_eur) {
            put("4.13", json!(c));
        }
    }
    put("3.1", json!(inc.authority_reference));
    put("3.3", json!(inc.mitigated_at));
    put("4.7", json!(inc.root_cause_addressed_at));
    put("4.8", json!(inc.resolved_at));
    if let Some(rc) = &inc.root_cause {
        put("4.5", json!(rc));
    }
    // A recurring incident in aggregated form (ITS 2025/302 Art. 3): 2.2 is already the last
    // detection; 4.15 and 4.16 say which incidents recurred and when the last occurred.
    if let Some(r) = &inc.recurring {
        put(
            "4.15",
            json!(format!(
                "{} non-major incidents with the same apparent root cause ({}) within six months, occurring {}: {} (RTS 2024/1772 Art. 8(2))",
                r.incidents.len(),
                r.root_cause,
                r.occurrences.join(", "),
                r.incidents.join(", ")
            )),
        );
        put("4.16", json!(r.occurrences.last()));
    }
    f
}

/// Builds the `stage` report for `inc` with the configuration's entity, IR version and
/// authority schema (when one is configured, its failures count as missing too).
pub fn build_for(
    stage: Stage,
    inc: &Incident,
    config: &crate::config::Config,
    details: &Map<String, Value>,
    generated_at: &str,
) -> Result<Report> {
    let version = config.ir.version()?;
    let mut r = build_in(stage, inc, &config.entity, details, generated_at, version)?;
    if let Some(schema) = config.ir.schema()? {
        add_violations(&mut r.missing, &schema.check(&r.ir));
    }
    Ok(r)
}

/// Adds the violations whose field is not already listed as missing.
fn add_violations(missing: &mut Vec<String>, violations: &[crate::ir::Violation]) {
    for v in violations {
        let listed = v.field != "-"
            && missing
                .iter()
                .any(|m| m.split(' ').next() == Some(v.field.as_str()));
        if !listed {
            missing.push(v.to_string());
        }
    }
}

/// Builds the `stage` report for `inc` in the default IR version. `details` are fields by code that the ledger cannot
/// know (2.9, 3.23, 4.1, ...); they may not override what the ledger records (1.1, 2.1-2.3,
/// 2.5). Unknown codes and values outside a field's enumeration are refused.
pub fn build(
    stage: Stage,
    inc: &Incident,
    entity: &Entity,
    details: &Map<String, Value>,
    generated_at: &str,
) -> Result<Report> {
    build_in(
        stage,
        inc,
        entity,
        details,
        generated_at,
        Default::default(),
    )
}

fn build_in(
    stage: Stage,
    inc: &Incident,
    entity: &Entity,
    details: &Map<String, Value>,
    generated_at: &str,
    version: crate::ir::Version,
) -> Result<Report> {
    let reclassified = inc.reclassified.is_some();
    let mut f = derived(stage, inc, entity, reclassified);
    for (k, v) in details {
        if label(k).is_none() {
            return Err(Error::invalid(
                format!("details.{k}"),
                "not a field code of ITS 2025/302 Annex I (1.1 to 4.16)",
            ));
        }
        if FROM_LEDGER.contains(&k.as_str()) {
            return Err(Error::invalid(
                format!("details.{k}"),
                format!(
                    "{} comes from the ledger and cannot be given",
                    label(k).unwrap_or(k)
                ),
            ));
        }
        f.insert(k.clone(), v.clone());
    }
    for (code, ..) in FIELDS {
        if let Some(v) = f.get(*code) {
            check_value(code, v)?;
        }
    }
    let mut missing = Vec::new();
    for (code, name, req, _) in FIELDS {
        if (required(*req, stage, &f) || (reclassified && *code == "2.10")) && !filled(f.get(*code))
        {
            missing.push(format!("{code} {name}"));
        }
    }
    let fields: Map<String, Value> = FIELDS
        .iter()
        .filter_map(|(c, ..)| f.get(*c).map(|v| (c.to_string(), v.clone())))
        .collect();
    let (ir, violations) = crate::ir::document(&fields, version);
    add_violations(&mut missing, &violations);
    Ok(Report {
        ir,
        ir_version: version.name().into(),
        document: json!({
            "schema": SCHEMA,
            "template": "ITS 2025/302 Annex I",
            "incident": inc.id,
            "stage": stage.name(),
            "generated_at": generated_at,
            "fields": fields,
        }),
        missing,
    })
}

/// Parses details given as JSON or YAML: an object of field codes.
pub fn parse_details(bytes: &[u8]) -> Result<Map<String, Value>> {
    let v: Value = if bytes.trim_ascii_start().starts_with(b"{") {
        serde_json::from_slice(bytes).map_err(|e| Error::Parse {
            what: "report details".into(),
            detail: e.to_string(),
        })?
    } else {
        yaml_serde::from_slice(bytes).map_err(|e| Error::Parse {
            what: "report details".into(),
            detail: e.to_string(),
        })?
    };
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(Error::invalid(
            "details",
            "must be an object of field codes, e.g. {\"2.9\": true, \"3.23\": \"system_failure\"}",
        )),
    }
}

/// A report document laid out for reading: the fields given, by section, and what is missing.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportPage {
    /// Incident id.
    pub incident: String,
    /// Stage name.
    pub stage: String,
    /// When the document was generated.
    pub generated_at: String,
    /// Required fields not filled.
    pub missing: Vec<String>,
    /// Sections 1 to 4, each with its filled fields.
    pub sections: Vec<ReportSection>,
    /// A stylesheet to link instead of the inline style (a server's CSP forbids inline style).
    pub stylesheet: Option<String>,
}

/// One section of a [`ReportPage`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportSection {
    /// Its title.
    pub title: &'static str,
    /// (field code, field name, value as text) of every filled field.
    pub rows: Vec<ReportRow>,
}

/// One filled field.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportRow {
    /// Field code, e.g. 2.3.
    pub code: &'static str,
    /// Field name.
    pub name: &'static str,
    /// Value, as text.
    pub text: String,
}

/// The page for a report document.
pub fn page(doc: &Value, missing: &[String], stylesheet: Option<&str>) -> ReportPage {
    let text = |k: &str| doc[k].as_str().unwrap_or("").to_string();
    let sections = [
        ("1.", "General information"),
        ("2.", "Initial notification"),
        ("3.", "Intermediate report"),
        ("4.", "Final report"),
    ]
    .into_iter()
    .map(|(section, title)| ReportSection {
        title,
        rows: FIELDS
            .iter()
            .filter(|f| f.0.starts_with(section))
            .filter_map(|(code, name, ..)| {
                let text = match &doc["fields"][*code] {
                    Value::Null => return None,
                    Value::String(s) => s.clone(),
                    Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map(str::to_string).unwrap_or(x.to_string()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                };
                Some(ReportRow { code, name, text })
            })
            .collect(),
    })
    .collect();
    ReportPage {
        incident: text("incident"),
        stage: text("stage"),
        generated_at: text("generated_at"),
        missing: missing.to_vec(),
        sections,
        stylesheet: stylesheet.map(str::to_string),
    }
}

/// The report page's template (autoescaped HTML).
pub const PAGE_TEMPLATE: &str = include_str!("../templates/report.html");

/// A readable HTML rendering of a report document (a whole page, styled inline unless
/// `stylesheet` names one to link), rendered with autoescaping.
pub fn html(doc: &Value, missing: &[String], stylesheet: Option<&str>) -> Result<String> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    let render = || -> std::result::Result<String, minijinja::Error> {
        env.template_from_str(PAGE_TEMPLATE)?
            .render(minijinja::Value::from(minijinja::value::Serde(page(
                doc, missing, stylesheet,
            ))))
    };
    render().map_err(|e| Error::invalid("report page", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The requirement of field `code` in `stage`, given the other fields.
    fn needed(code: &str, stage: Stage, fields: Value) -> bool {
        let f = fields.as_object().cloned().unwrap_or_default();
        let (_, _, req, _) = FIELDS
            .iter()
            .find(|(c, ..)| *c == code)
            .copied()
            .unwrap_or(("", "", Optional, &[]));
        required(req, stage, &f)
    }

    #[test]
    fn conditional_fields_follow_the_schemas_rules() {
        // 3.34 when 3.33 is true; 3.35 for cybersecurity-related incidents.
        assert!(needed("3.34", M, json!({"3.33": true})));
        assert!(!needed("3.34", M, json!({"3.33": false})));
        assert!(needed("3.35", M, json!({"3.23": "cybersecurity-related"})));
        assert!(!needed("3.35", M, json!({"3.23": "system_failure"})));
        assert!(!needed("3.35", I, json!({"3.23": "cybersecurity-related"})));
        // 4.3 and 4.9 in final reports.
        assert!(needed("4.3", F, json!({})) && needed("4.9", F, json!({})));
        assert!(!needed("4.3", M, json!({})));
        // 4.4 when 4.2 names an `_other` cause, as a value or in a list.
        assert!(needed("4.4", F, json!({"4.2": "human_error_other"})));
        assert!(needed(
            "4.4",
            F,
            json!({"4.2": ["system_failure_physical_damage", "process_failure_other"]})
        ));
        assert!(!needed(
            "4.4",
            F,
            json!({"4.2": ["system_failure_physical_damage"]})
        ));
    }

    #[test]
    fn root_causes_and_threat_techniques_are_checked_against_their_enumerations() {
        assert!(
            check_value(
                "4.2",
                &json!(["system_failure_other", "human_error_mistake"])
            )
            .is_ok()
        );
        let e = check_value("4.2", &json!(["system_failure_gremlins"])).unwrap_err();
        assert!(e.to_string().contains("system_failure_gremlins"), "{e}");
        assert!(check_value("4.3", &json!(["change_management"])).is_ok());
        assert!(check_value("4.3", &json!(["bad_luck"])).is_err());
        assert!(check_value("3.25", &json!(["ddos"])).is_ok());
        assert!(check_value("3.25", &json!(["ddos", "telepathy"])).is_err());
    }
}
