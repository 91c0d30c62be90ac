//! Significant cyber threats (RTS 2024/1772 Art. 10). Notifying them is voluntary (DORA
//! Art. 19(2)); the test tells the incident manager whether the threat qualifies.

use plumb_dora::incident as law;
use serde::{Deserialize, Serialize};

/// What is known about a cyber threat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// The test's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreatResult {
    /// Significant.
    pub significant: bool,
    /// Why, condition by condition.
    pub explanation: Vec<String>,
}

/// Applies Art. 10: all three conditions.
pub fn assess(t: &Threat) -> ThreatResult {
    let c = t.could_affect_critical_services
        || t.could_meet_clients_threshold
        || t.could_meet_geographical_spread;
    let yes = |b: bool| if b { "met" } else { "NOT met" };
    let explanation = vec![
        format!(
            "(a) could affect critical or important functions, or other entities, providers, clients or counterparts: {}",
            yes(t.could_affect_critical_functions_or_others)
        ),
        format!(
            "(b) high probability of materialisation: {}",
            yes(t.high_probability)
        ),
        format!(
            "(c) could meet the critical-services criterion, the clients threshold (Art. 9(1)) or geographical spread (Art. 9(4)): {}",
            yes(c)
        ),
        format!(
            "{} ({}): all three conditions are needed; notification is voluntary (DORA Art. 19(2)).",
            if t.could_affect_critical_functions_or_others && t.high_probability && c {
                "Significant cyber threat"
            } else {
                "Not a significant cyber threat"
            },
            law::CYBER_THREAT_RULE
        ),
    ];
    ThreatResult {
        significant: t.could_affect_critical_functions_or_others && t.high_probability && c,
        explanation,
    }
}
