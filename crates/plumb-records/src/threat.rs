//! Significant cyber threats (DORA Art. 19(2), RTS 2024/1772 Art. 10): what the incident
//! manager records about a threat, the Art. 10 test and, when the threat is significant, the
//! voluntary notification for the authority (ITS 2025/302 Annexes III-IV). Written by
//! `plumb_incident::ops::record_threat` (the CLI and the server share it), read by
//! `plumb_incident::store::threats`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Record;

impl Record for ThreatRecord {
    const PREDICATE_TYPE: &'static str = "https://plumbline.dev/attestation/cyber-threat/v1";
    const NAME: &'static str = "cyber-threat";
}

/// The Art. 10 test's inputs: whether the threat, if it materialised, could hurt as the
/// article says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threat {
    /// If it materialised it could affect (or could have affected) the entity's critical or
    /// important functions, or other financial entities, providers, clients or counterparts
    /// (Art. 10(a)).
    pub could_affect_critical_functions_or_others: bool,
    /// High probability of materialising (Art. 10(b)).
    pub high_probability: bool,
    /// If it materialised it could affect critical services (Art. 6).
    #[serde(default)]
    pub could_affect_critical_services: bool,
    /// ... or meet the clients, counterparts and transactions threshold (Art. 9(1)).
    #[serde(default)]
    pub could_meet_clients_threshold: bool,
    /// ... or meet the geographical spread threshold (Art. 9(4)).
    #[serde(default)]
    pub could_meet_geographical_spread: bool,
}

/// Whether the threat is active (field 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ThreatStatus {
    /// Still a threat.
    Active,
    /// No longer a threat.
    Inactive,
}

/// What the incident manager gives about a threat (fields 12 to 20 of the notification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreatDetails {
    /// When it was detected (RFC 3339; field 12).
    pub detected_at: String,
    /// The threat (field 13).
    pub description: String,
    /// Its potential impact on the entity, its clients and counterparts (field 14).
    pub potential_impact: String,
    /// Classification criteria that could have been met had it materialised (field 15; the
    /// criterion names of field 2.5 of the incident report).
    pub criteria: Vec<String>,
    /// Active or inactive (field 16).
    pub status: ThreatStatus,
    /// Actions taken to prevent it from materialising (field 17).
    pub actions_taken: String,
    /// Other stakeholders notified, if any (field 18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stakeholders_notified: Option<String>,
    /// Indicators of compromise, if any (field 19).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicators_of_compromise: Option<String>,
    /// Anything else relevant (field 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_information: Option<String>,
    /// Services (pipeline system names) it concerns, for who may read it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// The Art. 10 test.
    pub test: Threat,
}

/// One recorded threat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreatRecord {
    /// Its id (`CYB-...`).
    pub id: String,
    /// When it was recorded (the operation's `now`).
    pub recorded_at: String,
    /// Who recorded it.
    pub actor: String,
    /// What was given.
    pub details: ThreatDetails,
    /// Significant under Art. 10.
    pub significant: bool,
    /// The test, condition by condition.
    pub explanation: Vec<String>,
    /// The voluntary notification in the authorities' CYB JSON structure, for a significant
    /// threat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<Value>,
}
