//! The numbers of incident classification and reporting, each with the paragraph that sets it.
//! The classifier and the reporting clocks read them from here; nothing else in the project
//! spells these numbers.
//!
//! The final RTS 2024/1772 has no absolute amount threshold for transactions (a EUR 15 million
//! figure from the draft RTS still circulates) and no per-entity-type client thresholds; neither
//! appears here. Criticality of the services affected (Art. 6) is not a threshold at all: it is
//! the condition every major incident must meet first.

use serde::Serialize;

/// How a threshold compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The share (per cent of a total) must exceed the value.
    PercentAbove(u64),
    /// The number must exceed the value.
    Above(u64),
    /// The number must be at least the value.
    AtLeast(u64),
    /// Met by any case of the criterion (a yes/no criterion).
    Any,
}

/// One materiality threshold of RTS 2024/1772 Art. 9.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Threshold {
    /// Stable key used in results and configuration.
    pub key: &'static str,
    /// The criterion it belongs to, as named in field 2.5 of the report template.
    pub criterion: &'static str,
    /// What is measured, in words.
    pub measure: &'static str,
    /// The comparison.
    pub bound: Bound,
    /// The citation (checked against [`crate::is_known`]).
    pub reference: &'static str,
}

/// Criterion names as in field 2.5 of ITS 2025/302 Annex I.
pub mod criterion {
    /// Clients, financial counterparts and transactions affected.
    pub const CLIENTS: &str = "clients_financial_counterparts_and_transactions_affected";
    /// Reputational impact.
    pub const REPUTATION: &str = "reputational_impact";
    /// Duration and service downtime.
    pub const DURATION: &str = "duration_and_service_downtime";
    /// Geographical spread.
    pub const GEOGRAPHY: &str = "geographical_spread";
    /// Data losses.
    pub const DATA: &str = "data_losses";
    /// Critical services affected.
    pub const CRITICAL: &str = "critical_services_affected";
    /// Economic impact.
    pub const ECONOMIC: &str = "economic_impact";
}

macro_rules! thresholds {
    ($( $name:ident = $key:literal, $crit:ident, $measure:literal, $bound:expr, $reference:literal; )*) => {
        $(
            #[doc = $measure]
            pub const $name: Threshold = Threshold {
                key: $key,
                criterion: criterion::$crit,
                measure: $measure,
                bound: $bound,
                reference: $reference,
            };
        )*
        /// Every materiality threshold, in the order of Art. 9.
        pub const THRESHOLDS: &[Threshold] = &[$($name),*];
    };
}

thresholds! {
    CLIENTS_SHARE = "clients_share", CLIENTS, "Affected clients as a share of all clients using the affected service", Bound::PercentAbove(10), "RTS 2024/1772 Art. 9(1)(a)";
    CLIENTS_NUMBER = "clients_number", CLIENTS, "Affected clients using the affected service", Bound::Above(100_000), "RTS 2024/1772 Art. 9(1)(b)";
    COUNTERPARTS_SHARE = "counterparts_share", CLIENTS, "Affected financial counterparts as a share of all counterparts of the affected service", Bound::PercentAbove(30), "RTS 2024/1772 Art. 9(1)(c)";
    TRANSACTIONS_NUMBER = "transactions_number", CLIENTS, "Affected transactions as a share of the daily average number of transactions of the service", Bound::PercentAbove(10), "RTS 2024/1772 Art. 9(1)(d)";
    TRANSACTIONS_VALUE = "transactions_value", CLIENTS, "Amount of affected transactions as a share of the daily average value of transactions of the service", Bound::PercentAbove(10), "RTS 2024/1772 Art. 9(1)(e)";
    RELEVANT_CLIENTS = "relevant_clients", CLIENTS, "Relevant clients or financial counterparts (Art. 1(3)) affected", Bound::Any, "RTS 2024/1772 Art. 9(1)(f)";
    REPUTATION = "reputation", REPUTATION, "Any case of reputational impact of Art. 2", Bound::Any, "RTS 2024/1772 Art. 9(2)";
    DURATION_HOURS = "duration", DURATION, "Incident duration in hours", Bound::Above(24), "RTS 2024/1772 Art. 9(3)(a)";
    DOWNTIME_HOURS = "downtime", DURATION, "Service downtime in hours, for ICT services supporting critical or important functions", Bound::Above(2), "RTS 2024/1772 Art. 9(3)(b)";
    MEMBER_STATES = "member_states", GEOGRAPHY, "Member States with an impact of Art. 4", Bound::AtLeast(2), "RTS 2024/1772 Art. 9(4)";
    DATA_LOSS = "data_loss", DATA, "Impact on availability, authenticity, integrity or confidentiality of data with adverse impact on business objectives or regulatory requirements", Bound::Any, "RTS 2024/1772 Art. 9(5)(a)";
    MALICIOUS_ACCESS = "malicious_access", DATA, "Successful, malicious and unauthorised access to network and information systems that may result in data losses", Bound::Any, "RTS 2024/1772 Art. 9(5)(b)";
    ECONOMIC_EUR = "economic", ECONOMIC, "Costs and losses in EUR, exceeded or likely to be exceeded", Bound::Above(100_000), "RTS 2024/1772 Art. 9(6)";
}

/// How many of the other thresholds make a major incident (with critical services affected).
pub const MAJOR_MIN_OTHER_THRESHOLDS: usize = 2;
/// Citation of the major rule.
pub const MAJOR_RULE: &str = "RTS 2024/1772 Art. 8(1)";
/// Citation of the critical-services condition.
pub const CRITICAL_SERVICES: &str = "RTS 2024/1772 Art. 6";
/// Recurring incidents: at least this many occurrences ...
pub const RECURRING_MIN_OCCURRENCES: usize = 2;
/// ... within this many months.
pub const RECURRING_WINDOW_MONTHS: u32 = 6;
/// Citation of the recurring-incident rule.
pub const RECURRING_RULE: &str = "RTS 2024/1772 Art. 8(2)";
/// Citation of the significant cyber threat test.
pub const CYBER_THREAT_RULE: &str = "RTS 2024/1772 Art. 10";

/// A reporting time limit of RTS 2025/301 Art. 5.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TimeLimit {
    /// Hours, when the limit is counted in hours.
    pub hours: Option<i64>,
    /// Calendar months, when counted in months.
    pub months: Option<u32>,
    /// The citation.
    pub reference: &'static str,
}

/// Initial notification: within 4 hours of classification as major ...
pub const INITIAL_AFTER_CLASSIFICATION: TimeLimit = TimeLimit {
    hours: Some(4),
    months: None,
    reference: "RTS 2025/301 Art. 5(1)(a)",
};
/// ... and no later than 24 hours after becoming aware of the incident.
pub const INITIAL_AFTER_AWARENESS: TimeLimit = TimeLimit {
    hours: Some(24),
    months: None,
    reference: "RTS 2025/301 Art. 5(1)(a)",
};
/// Classified as major later than 24 hours after awareness: within 4 hours of classification.
pub const INITIAL_LATE_CLASSIFICATION: TimeLimit = TimeLimit {
    hours: Some(4),
    months: None,
    reference: "RTS 2025/301 Art. 5(2)",
};
/// Intermediate report: within 72 hours of submitting the initial notification.
pub const INTERMEDIATE_AFTER_INITIAL: TimeLimit = TimeLimit {
    hours: Some(72),
    months: None,
    reference: "RTS 2025/301 Art. 5(1)(b)",
};
/// Final report: no later than one month after the latest intermediate report.
pub const FINAL_AFTER_INTERMEDIATE: TimeLimit = TimeLimit {
    hours: None,
    months: Some(1),
    reference: "RTS 2025/301 Art. 5(1)(c)",
};
/// A deadline on a weekend day or bank holiday moves to this hour (local time) of the next
/// working day.
pub const NEXT_WORKING_DAY_HOUR: u32 = 12;
/// Citation of the weekend and bank-holiday rule.
pub const WEEKEND_RULE: &str = "RTS 2025/301 Art. 5(4)";
/// Citation of the entity types excluded from it for initial and intermediate reports.
pub const WEEKEND_EXCEPTION: &str = "RTS 2025/301 Art. 5(5)";
/// Citation of a competent authority disapplying it.
pub const WEEKEND_DISAPPLIED: &str = "RTS 2025/301 Art. 5(6)";
/// Citation of the notice that a deadline cannot be met.
pub const CANNOT_MEET_DEADLINE: &str = "RTS 2025/301 Art. 5(3)";
/// Citation of reclassification as non-major.
pub const RECLASSIFICATION: &str = "ITS 2025/302 Art. 5";

/// Types of financial entity (field 1.4) for which the weekend rule does not apply to initial
/// notifications and intermediate reports (Art. 5(5)); entities identified as essential or
/// important under NIS2 Art. 3 are excluded too, which is a property of the entity, not a type.
pub const WEEKEND_RULE_EXCLUDED_TYPES: &[&str] = &[
    "credit_institution",
    "central_counterparty",
    "trading_venue",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_threshold_cites_a_known_paragraph_once() {
        let mut keys = std::collections::HashSet::new();
        for t in THRESHOLDS {
            assert!(crate::is_known(t.reference), "{}", t.reference);
            assert!(keys.insert(t.key), "duplicate key {}", t.key);
        }
        for r in [
            MAJOR_RULE,
            CRITICAL_SERVICES,
            RECURRING_RULE,
            CYBER_THREAT_RULE,
            WEEKEND_RULE,
            WEEKEND_EXCEPTION,
            WEEKEND_DISAPPLIED,
            CANNOT_MEET_DEADLINE,
            RECLASSIFICATION,
            INITIAL_AFTER_AWARENESS.reference,
            FINAL_AFTER_INTERMEDIATE.reference,
        ] {
            assert!(crate::is_known(r), "{r}");
        }
        // The draft RTS's absolute amount never made it into the final text.
        assert!(
            !THRESHOLDS
                .iter()
                .any(|t| matches!(t.bound, Bound::Above(n) if n == 15_000_000))
        );
    }
}
