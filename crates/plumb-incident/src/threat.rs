//! Significant cyber threats (RTS 2024/1772 Art. 10). Notifying them is voluntary (DORA
//! Art. 19(2)); the test tells the incident manager whether the threat qualifies.

use plumb_dora::incident as law;
use serde::{Deserialize, Serialize};

pub use plumb_records::threat::{Threat, ThreatDetails, ThreatRecord, ThreatStatus};

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

/// Parses threat details given as YAML or JSON (see examples/incident/threat.yaml).
pub fn parse_details(bytes: &[u8], what: &str) -> crate::error::Result<ThreatDetails> {
    yaml_serde::from_slice(bytes).map_err(|e| crate::error::Error::Parse {
        what: what.into(),
        detail: e.to_string(),
    })
}
