//! Incident records: the events an incident is made of (the only thing stored; the incident is
//! rebuilt by folding them, in `plumb_incident::event`) and the parts they carry: alerts, the
//! incident manager's assessment, the classification with its thresholds, deployment links and
//! report stages. Written and folded by `plumb-incident` (the CLI and the server share it); read
//! by the incident pages, the reporting clocks and, next, the delivery measures.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Record;

impl Record for Event {
    const PREDICATE_TYPE: &'static str = "https://plumbline.dev/attestation/incident/v1";
    const NAME: &'static str = "incident-event";
}

/// Affected against total, for a share threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Share {
    /// How many were affected (or the amount affected, for values).
    pub affected: i64,
    /// The total of the service: all its clients or counterparts, or the daily average number
    /// or value of its transactions.
    pub total: i64,
}

/// The four cases of reputational impact (Art. 2).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Reputation {
    /// (a) The incident has been reflected in the media.
    Media,
    /// (b) Repetitive complaints from different clients or counterparts.
    Complaints,
    /// (c) The entity will not or is likely not to meet regulatory requirements.
    RegulatoryRequirements,
    /// (d) The entity will or is likely to lose clients or counterparts with material impact.
    ClientLoss,
}

/// The data properties of Art. 5.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DataProperty {
    /// Data inaccessible or unusable.
    Availability,
    /// Trustworthiness of the source compromised.
    Authenticity,
    /// Unauthorised modification.
    Integrity,
    /// Accessed by or disclosed to an unauthorised party.
    Confidentiality,
}

/// What the incident manager knows about the incident, criterion by criterion. Counts and
/// amounts may be estimates (say so with `estimates`); unknown criteria are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    /// Clients affected against all clients using the affected service (Art. 9(1)(a), (b)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<Share>,
    /// Financial counterparts affected against all counterparts of the service (9(1)(c)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparts: Option<Share>,
    /// Transactions affected against the daily average number for the service (9(1)(d)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactions: Option<Share>,
    /// Amount of affected transactions against the daily average value, in EUR (9(1)(e)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_value_eur: Option<Share>,
    /// The same in the entity's reporting currency (field 1.15), for field 3.11 when that
    /// currency is not EUR. The share of 9(1)(e) is the same in either currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_value: Option<Share>,
    /// Relevant clients or counterparts (Art. 1(3)) are affected (9(1)(f)).
    #[serde(default)]
    pub relevant_clients_affected: bool,
    /// Cases of reputational impact (Art. 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reputational: Vec<Reputation>,
    /// When the incident manager made this assessment (RFC 3339): the classification time of
    /// field 2.3 and, when it makes the incident major, the anchor of the 4 h clock. Default:
    /// when it is recorded. Not in the future, not before detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessed_at: Option<String>,
    /// When the incident occurred, if known and earlier than detection (Art. 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    /// When it was (or is estimated to be) resolved; otherwise the duration so far is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    /// Service downtime in minutes (Art. 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downtime_minutes: Option<i64>,
    /// Member States (ISO 3166 alpha-2) where the incident had an impact of Art. 4, the
    /// entity's own included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_states: Vec<String>,
    /// Data properties impacted with an adverse effect on business objectives or on meeting
    /// regulatory requirements (9(5)(a)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_losses: Vec<DataProperty>,
    /// A successful, malicious and unauthorised access to network and information systems
    /// that may result in data losses (9(5)(b), and Art. 6(c)).
    #[serde(default)]
    pub malicious_access: bool,
    /// The affected services support critical or important functions (Art. 6(a)). Leave out to
    /// take it from the architecture model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_critical_functions: Option<bool>,
    /// The incident affects financial services that require authorisation or registration, or
    /// are supervised (Art. 6(b)).
    #[serde(default)]
    pub authorised_services_affected: bool,
    /// Direct and indirect costs and losses in EUR, exceeded or likely, without deducting
    /// recoveries (Art. 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub costs_eur: Option<i64>,
    /// The same costs and losses in the entity's reporting currency (field 4.13), when that
    /// currency is not EUR; `costs_eur` is then their EUR equivalent, used for the EUR 100,000
    /// threshold of Art. 9(6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub costs: Option<i64>,
    /// Some numbers are estimates.
    #[serde(default)]
    pub estimates: bool,
}

/// What the architecture model says about the affected systems.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModelFacts {
    /// Critical or important functions that depend on the affected systems, each as
    /// `name (criticality) via a -> b -> c`.
    pub functions: Vec<String>,
}

/// The non-major incidents a recurring incident aggregates (RTS 2024/1772 Art. 8(2)), reported
/// in aggregated form (ITS 2025/302 Art. 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurringOrigin {
    /// The incidents, oldest first.
    pub incidents: Vec<String>,
    /// Their shared apparent root cause.
    pub root_cause: String,
    /// When each occurred, oldest first (field 4.16 gives the last).
    pub occurrences: Vec<String>,
}

/// One evaluated threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ThresholdResult {
    /// The threshold's key.
    pub key: String,
    /// Its criterion (field 2.5 name).
    pub criterion: String,
    /// The citation.
    pub reference: String,
    /// Whether it is met.
    pub met: bool,
    /// The numbers, in words.
    pub detail: String,
}

/// The classification of one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Classification {
    /// Major under Art. 8(1).
    pub major: bool,
    /// Art. 6: critical services affected.
    pub critical_services: bool,
    /// Why (or why not) critical services are affected.
    pub critical_services_detail: String,
    /// Art. 9(5)(b) met.
    pub malicious_access: bool,
    /// Thresholds (Art. 9 paragraphs other than 9(5)(b)) met, by paragraph.
    pub other_thresholds_met: Vec<String>,
    /// Every threshold evaluated.
    pub thresholds: Vec<ThresholdResult>,
    /// Criteria met, as field 2.5 lists them.
    pub criteria_met: Vec<String>,
    /// The decision in sentences, each with its citation.
    pub explanation: Vec<String>,
    /// The assessment contains estimates.
    pub estimates: bool,
    /// Incident duration in minutes used for Art. 9(3)(a) (so far, when not resolved).
    pub duration_minutes: i64,
}

/// One alert, whatever its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Alert {
    /// `alertmanager` or `generic`.
    pub source: String,
    /// Deduplication key: `<fingerprint>@<start time>`.
    pub key: String,
    /// The notification group it came in (Alertmanager `groupKey`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Firing (true) or resolved.
    pub firing: bool,
    /// Alert name.
    pub name: String,
    /// One-line summary.
    pub summary: String,
    /// When it started firing.
    pub starts_at: String,
    /// When it stopped, for resolved alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
    /// The affected service (label `service`, else `app`, else `job`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Environment (label `env` or `environment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Severity label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// A commit named by the alert (label or annotation `commit`, `git_commit`, `revision`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Labels as sent.
    pub labels: BTreeMap<String, String>,
}

/// A link from an incident to a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Link {
    /// The deployment's ledger entry.
    pub entry: u64,
    /// The system.
    pub system: String,
    /// The commit.
    pub commit: Option<String>,
    /// When it was deployed.
    pub deployed_at: String,
    /// Change id.
    pub change_id: Option<String>,
    /// Gate decision entry.
    pub gate_decision: Option<u64>,
    /// `explicit` or `heuristic`.
    pub method: String,
    /// Why this deployment.
    pub reason: String,
}

/// The three reports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Initial notification.
    Initial,
    /// Intermediate report.
    Intermediate,
    /// Final report.
    Final,
}

impl Stage {
    /// All stages in order.
    pub const ALL: [Stage; 3] = [Stage::Initial, Stage::Intermediate, Stage::Final];

    /// Name as used on the command line and in URLs.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Initial => "initial",
            Stage::Intermediate => "intermediate",
            Stage::Final => "final",
        }
    }

    /// Parses [`Stage::name`].
    pub fn from_name(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.name() == s)
    }

    /// Field 1.1 value.
    pub fn submission_type(self) -> &'static str {
        match self {
            Stage::Initial => "initial_notification",
            Stage::Intermediate => "intermediate_report",
            Stage::Final => "final_report",
        }
    }

    /// In words.
    pub fn title(self) -> &'static str {
        match self {
            Stage::Initial => "initial notification",
            Stage::Intermediate => "intermediate report",
            Stage::Final => "final report",
        }
    }
}

/// One thing that happened to an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Event {
    /// Incident id.
    pub incident: String,
    /// When it was recorded (the operation's `now`).
    pub recorded_at: String,
    /// Who did it (token name, or `alertmanager`).
    pub actor: String,
    /// What happened.
    #[serde(flatten)]
    pub change: Change,
}

/// The kinds of event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Change {
    /// The incident was opened, from alerts or by hand.
    Opened {
        /// Title.
        title: String,
        /// Description (field 2.4).
        description: String,
        /// When the entity became aware (field 2.2).
        detected_at: String,
        /// Affected services (pipeline system names).
        services: Vec<String>,
        /// How it was discovered (field 2.7 value).
        discovery: String,
        /// The alerts that opened it.
        alerts: Vec<Alert>,
        /// For a recurring incident (RTS 2024/1772 Art. 8(2)): the non-major incidents it
        /// aggregates.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recurring: Option<RecurringOrigin>,
    },
    /// Another alert joined the incident.
    AlertAttached {
        /// The alert.
        alert: Alert,
    },
    /// An alert of the incident resolved.
    AlertResolved {
        /// Its key.
        key: String,
        /// When it ended.
        ends_at: String,
    },
    /// Regular activities recovered (every alert resolved, or stated by hand; field 3.3).
    Mitigated {
        /// When.
        at: String,
    },
    /// Deployments that may have caused it.
    Linked {
        /// The links, each with its method.
        links: Vec<Link>,
    },
    /// Classified under RTS 2024/1772.
    Classified {
        /// What the incident manager assessed.
        assessment: Assessment,
        /// What the model said.
        model: ModelFacts,
        /// The result with its explanation.
        result: Classification,
    },
    /// Reclassified from major to non-major (ITS 2025/302 Art. 5).
    Reclassified {
        /// Why it at no time met the criteria.
        reason: String,
        /// The new assessment.
        assessment: Assessment,
        /// The new result (not major).
        result: Classification,
        /// The notice to the authority: the template with type of submission
        /// `major_incident_reclassified_as_non-major` and the reason in 2.10.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notice: Option<Value>,
    },
    /// A report document was generated.
    ReportGenerated {
        /// Which report.
        stage: Stage,
        /// The document (ITS 2025/302 Annex I fields by code).
        report: Value,
        /// Fields the stage requires that are not filled, and every rule the authority's
        /// document breaks.
        missing: Vec<String>,
        /// The same report in the ESAs' IR JSON structure, as submitted to the authority.
        /// Absent in records written before Plumbline wrote it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ir: Option<Value>,
        /// The IR version it was written for, e.g. 1.2.1.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ir_version: Option<String>,
    },
    /// A report was submitted to the competent authority.
    ReportSubmitted {
        /// Which report.
        stage: Stage,
        /// When.
        submitted_at: String,
        /// The authority's reference (field 3.1), if it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        authority_reference: Option<String>,
    },
    /// The authority was told a deadline cannot be met (RTS 2025/301 Art. 5(3)).
    DeadlineNotice {
        /// Which report.
        stage: Stage,
        /// Why.
        reason: String,
    },
    /// The incident was resolved (field 4.8).
    Resolved {
        /// When.
        resolved_at: String,
    },
    /// The root cause was addressed (field 4.7).
    RootCauseAddressed {
        /// When.
        addressed_at: String,
        /// The root cause, in words.
        root_cause: String,
    },
}

impl Change {
    /// The event's name.
    pub fn name(&self) -> &'static str {
        match self {
            Change::Opened { .. } => "opened",
            Change::AlertAttached { .. } => "alert_attached",
            Change::AlertResolved { .. } => "alert_resolved",
            Change::Mitigated { .. } => "mitigated",
            Change::Linked { .. } => "linked",
            Change::Classified { .. } => "classified",
            Change::Reclassified { .. } => "reclassified",
            Change::ReportGenerated { .. } => "report_generated",
            Change::ReportSubmitted { .. } => "report_submitted",
            Change::DeadlineNotice { .. } => "deadline_notice",
            Change::Resolved { .. } => "resolved",
            Change::RootCauseAddressed { .. } => "root_cause_addressed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opened() -> Value {
        json!({
            "incident": "INC-2026-0001",
            "recorded_at": "2026-11-30T10:00:00Z",
            "actor": "alertmanager",
            "event": "opened",
            "title": "Payments down",
            "description": "5xx on /pay",
            "detected_at": "2026-11-30T09:58:00Z",
            "services": ["payments"],
            "discovery": "monitoring",
            "alerts": [{
                "source": "alertmanager", "key": "abc@2026-11-30T09:57:00Z", "firing": true,
                "name": "HighErrorRate", "summary": "errors", "starts_at": "2026-11-30T09:57:00Z",
                "service": "payments", "labels": {"service": "payments"}
            }]
        })
    }

    #[test]
    fn events_round_trip_through_the_type() {
        let e = Event::from_predicate(&opened()).unwrap();
        assert_eq!(e.change.name(), "opened");
        assert_eq!(e.to_predicate(), opened());
        let submitted = json!({"incident": "INC-1", "recorded_at": "2026-11-30T12:00:00Z",
            "actor": "im", "event": "report_submitted", "stage": "initial",
            "submitted_at": "2026-11-30T11:00:00Z"});
        let e = Event::from_predicate(&submitted).unwrap();
        assert!(matches!(
            e.change,
            Change::ReportSubmitted {
                stage: Stage::Initial,
                ..
            }
        ));
        assert_eq!(e.to_predicate(), submitted);
    }

    #[test]
    fn events_that_do_not_fit_are_refused() {
        let mut v = opened();
        v["event"] = json!("exploded");
        let e = Event::from_predicate(&v).unwrap_err();
        assert!(
            e.contains("incident-event") && e.contains("exploded"),
            "{e}"
        );
        let mut v = opened();
        v["alerts"][0]["firing"] = json!("yes");
        assert!(Event::from_predicate(&v).is_err());
        // An assessment refuses fields it does not know (a typo must not pass unnoticed).
        let a =
            serde_json::from_value::<Assessment>(json!({"clientz": {"affected": 1, "total": 2}}));
        assert!(a.is_err());
    }

    #[test]
    fn stages_name_themselves() {
        for s in Stage::ALL {
            assert_eq!(Stage::from_name(s.name()), Some(s));
        }
        assert_eq!(Stage::from_name("draft"), None);
    }
}
