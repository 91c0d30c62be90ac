//! Where each field of ITS 2025/302 Annex I sits in the ESAs' IR JSON document, and what JSON
//! type it has there. One table serves both the writer ([`super::emit`]) and the checks
//! ([`super::rules`]), so a field cannot be written in one place and checked in another.
//! The facts (paths, types, enumerations) come from the IR-1.2/1.2.1 schema as summarised in
//! `docs/incidents.md`; no schema file is shipped.

use crate::report::{self, ENTITY_TYPES};

/// The JSON shape a field takes in the document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A string of at most 32,767 characters (the Excel cell limit the schema keeps).
    Text,
    /// A string without length limit (3.21, 4.10, 4.12).
    LongText,
    /// One value of an enumeration.
    Enum(&'static [&'static str]),
    /// A non-empty array of values of an enumeration.
    EnumList(&'static [&'static str]),
    /// `true` or `false`.
    Bool,
    /// A whole number.
    Int,
    /// A number (amounts, in the reporting currency).
    Number,
    /// A number from 0 to 100.
    Percent,
    /// An RFC 3339 date-time in UTC with `Z`.
    DateTime,
    /// Days, hours and minutes as `DDD:HH:MM`.
    Duration,
    /// A legal entity identifier: 18 letters or digits and two check digits.
    Lei,
    /// A telephone number, optionally with `+` and a country code.
    Phone,
    /// An e-mail address.
    Email,
}

/// One field's place in the document.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    /// Field code of Annex I (`-` for members without one).
    pub code: &'static str,
    /// Dotted path; `name[]` is an array of objects whose items hold the rest of the path.
    pub path: &'static str,
    /// Its JSON shape.
    pub kind: Kind,
}

const fn p(code: &'static str, path: &'static str, kind: Kind) -> Place {
    Place { code, path, kind }
}

use Kind::*;

const ENTITY_KINDS: &[&str] = &[
    "SUBMITTING_ENTITY",
    "AFFECTED_ENTITY",
    "ULTIMATE_PARENT_UNDERTAKING_ENTITY",
];

/// Every member of the document, in the order of the template.
pub const PLACES: &[Place] = &[
    p("1.1", "incidentSubmission", Enum(report::SUBMISSION_TYPES)),
    p("-", "submittingEntity.entityType", Enum(ENTITY_KINDS)),
    p("1.2", "submittingEntity.name", Text),
    p("1.3a", "submittingEntity.LEI", Lei),
    p("1.3b", "submittingEntity.code", Text),
    p("-", "affectedEntity[].entityType", Enum(ENTITY_KINDS)),
    p(
        "1.4",
        "affectedEntity[].affectedEntityType",
        EnumList(ENTITY_TYPES),
    ),
    p("1.5", "affectedEntity[].name", Text),
    p("1.6", "affectedEntity[].LEI", Lei),
    p("-", "affectedEntity[].code", Text),
    p("1.7", "primaryContact.name", Text),
    p("1.8", "primaryContact.email", Email),
    p("1.9", "primaryContact.phone", Phone),
    p("1.10", "secondaryContact.name", Text),
    p("1.11", "secondaryContact.email", Email),
    p("1.12", "secondaryContact.phone", Phone),
    p(
        "-",
        "ultimateParentUndertaking.entityType",
        Enum(ENTITY_KINDS),
    ),
    p("1.13", "ultimateParentUndertaking.name", Text),
    p("1.14", "ultimateParentUndertaking.LEI", Lei),
    p("-", "ultimateParentUndertaking.code", Text),
    p("1.15", "reportCurrency", Enum(report::CURRENCIES)),
    p("2.1", "incident.financialEntityCode", Text),
    p("2.2", "incident.detectionDateTime", DateTime),
    p("2.3", "incident.classificationDateTime", DateTime),
    p("2.4", "incident.incidentDescription", Text),
    p(
        "2.5",
        "incident.classificationTypes[].classificationCriterion",
        Enum(report::CRITERIA),
    ),
    p(
        "2.6",
        "incident.classificationTypes[].countryCodeMaterialityThresholds",
        EnumList(COUNTRIES),
    ),
    p(
        "3.13",
        "incident.classificationTypes[].reputationalImpactType",
        EnumList(report::REPUTATION_TYPES),
    ),
    p(
        "3.14",
        "incident.classificationTypes[].reputationalImpactDescription",
        Text,
    ),
    p(
        "3.18",
        "incident.classificationTypes[].memberStatesImpactType",
        EnumList(report::MEMBER_STATE_IMPACTS),
    ),
    p(
        "3.19",
        "incident.classificationTypes[].memberStatesImpactTypeDescription",
        Text,
    ),
    p(
        "3.20",
        "incident.classificationTypes[].dataLosseMaterialityThresholds",
        EnumList(report::DATA_PROPERTIES),
    ),
    p(
        "3.21",
        "incident.classificationTypes[].dataLossesDescription",
        LongText,
    ),
    p(
        "4.12",
        "incident.classificationTypes[].economicImpactMaterialityThreshold",
        LongText,
    ),
    p("2.7", "incident.incidentDiscovery", Enum(report::DISCOVERY)),
    p("2.8", "incident.originatesFromThirdPartyProvider", Text),
    p("2.9", "incident.isBusinessContinuityActivated", Bool),
    p("2.10", "incident.otherInformation", Text),
    p("3.1", "incident.competentAuthorityCode", Text),
    p("3.2", "incident.incidentOccurrenceDateTime", DateTime),
    p("3.15", "incident.incidentDuration", Duration),
    p(
        "3.23",
        "incident.incidentType.incidentClassification",
        EnumList(report::INCIDENT_TYPES),
    ),
    p(
        "3.24",
        "incident.incidentType.otherIncidentClassification",
        Text,
    ),
    p(
        "3.25",
        "incident.incidentType.threatTechniques",
        EnumList(report::THREAT_TECHNIQUES),
    ),
    p("3.26", "incident.incidentType.otherThreatTechniques", Text),
    p("3.35", "incident.incidentType.indicatorsOfCompromise", Text),
    p(
        "4.1",
        "incident.rootCauseHLClassification",
        EnumList(report::ROOT_CAUSES),
    ),
    p(
        "4.2",
        "incident.rootCausesDetailedClassification",
        EnumList(report::DETAILED_ROOT_CAUSES),
    ),
    p(
        "4.3",
        "incident.rootCausesAdditionalClassification",
        EnumList(report::ADDITIONAL_ROOT_CAUSES),
    ),
    p("4.4", "incident.rootCausesOther", Text),
    p("4.5", "incident.rootCausesInformation", Text),
    p("4.6", "incident.incidentResolutionSummary", Text),
    p("4.7", "incident.rootCauseAddressingDateTime", DateTime),
    p("4.8", "incident.incidentResolutionDateTime", DateTime),
    p(
        "4.9",
        "incident.incidentResolutionVsPlannedImplementation",
        Text,
    ),
    p(
        "4.10",
        "incident.assessmentOfRiskToCriticalFunctions",
        LongText,
    ),
    p(
        "4.11",
        "incident.informationRelevantToResolutionAuthorities",
        Text,
    ),
    p("4.13", "incident.grossAmountIndirectDirectCosts", Number),
    p("4.14", "incident.financialRecoveriesAmount", Number),
    p(
        "4.15",
        "incident.recurringNonMajorIncidentsDescription",
        Text,
    ),
    p("4.16", "incident.recurringIncidentDate", DateTime),
    p("3.8", "impactAssessment.hasImpactOnRelevantClients", Bool),
    p(
        "3.3",
        "impactAssessment.serviceImpact.serviceRestorationDateTime",
        DateTime,
    ),
    p(
        "3.16",
        "impactAssessment.serviceImpact.serviceDowntime",
        Duration,
    ),
    p(
        "3.33",
        "impactAssessment.serviceImpact.isTemporaryActionsMeasuresForRecovery",
        Bool,
    ),
    p(
        "3.34",
        "impactAssessment.serviceImpact.descriptionOfTemporaryActionsMeasuresForRecovery",
        Text,
    ),
    p("3.22", "impactAssessment.criticalServicesAffected", Text),
    p(
        "3.4",
        "impactAssessment.affectedAssets.affectedClients.number",
        Int,
    ),
    p(
        "3.5",
        "impactAssessment.affectedAssets.affectedClients.percentage",
        Percent,
    ),
    p(
        "3.6",
        "impactAssessment.affectedAssets.affectedFinancialCounterparts.number",
        Int,
    ),
    p(
        "3.7",
        "impactAssessment.affectedAssets.affectedFinancialCounterparts.percentage",
        Percent,
    ),
    p(
        "3.9",
        "impactAssessment.affectedAssets.affectedTransactions.number",
        Int,
    ),
    p(
        "3.10",
        "impactAssessment.affectedAssets.affectedTransactions.percentage",
        Percent,
    ),
    p(
        "3.11",
        "impactAssessment.affectedAssets.valueOfAffectedTransactions",
        Number,
    ),
    p(
        "3.12",
        "impactAssessment.affectedAssets.numbersActualEstimate",
        EnumList(report::ACTUAL_OR_ESTIMATE),
    ),
    p("3.27", "impactAssessment.affectedFunctionalAreas", Text),
    p(
        "3.28",
        "impactAssessment.isAffectedInfrastructureComponents",
        Enum(report::YES_NO),
    ),
    p(
        "3.29",
        "impactAssessment.affectedInfrastructureComponents",
        Text,
    ),
    p(
        "3.30",
        "impactAssessment.isImpactOnFinancialInterest",
        Enum(report::YES_NO),
    ),
    p(
        "3.31",
        "reportingToOtherAuthorities",
        EnumList(report::OTHER_AUTHORITIES),
    ),
    p("3.32", "reportingToOtherAuthoritiesOther", Text),
    p(
        "3.17",
        "informationDurationServiceDowntimeActualOrEstimate",
        Enum(report::DURATION_ACTUAL_OR_ESTIMATE),
    ),
];

/// Field 2.6 values: the EEA's ISO 3166 codes (Greece is GR).
pub const COUNTRIES: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "ES", "FI", "FR", "DE", "GR", "HU", "IS", "IE",
    "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// The criterion whose classification-type item holds a per-criterion field, if it is one.
pub fn criterion_of(code: &str) -> Option<&'static str> {
    use plumb_dora::incident::criterion::*;
    Some(match code {
        "2.6" | "3.18" | "3.19" => GEOGRAPHY,
        "3.13" | "3.14" => REPUTATION,
        "3.20" | "3.21" => DATA,
        "4.12" => ECONOMIC,
        _ => return None,
    })
}

/// The place of field `code`.
pub fn place(code: &str) -> Option<&'static Place> {
    PLACES.iter().find(|p| p.code == code)
}
