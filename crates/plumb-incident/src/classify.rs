//! Classification of an ICT-related incident under RTS 2024/1772: each materiality threshold of
//! Art. 9 evaluated against the incident manager's assessment, the critical-services condition
//! of Art. 6, and the major rule of Art. 8(1). Every result says which numbers met which
//! threshold. The thresholds come from [`plumb_dora::incident`].
//!
//! Thresholds are counted per paragraph of Art. 9, not per point: an incident that affects more
//! than 10 % of a service's clients *and* more than 100 000 clients meets one threshold (9(1)),
//! not two. Art. 9(5)(b) (malicious access) is the one threshold that makes an incident major on
//! its own, and only with critical services affected.

use chrono::{DateTime, Utc};
use plumb_dora::incident::{self as law, criterion};

use crate::error::{Error, Result, parse_time};

pub use plumb_records::incident::{
    Assessment, Classification, DataProperty, ModelFacts, Reputation, Share, ThresholdResult,
};

/// Reads an assessment from YAML or JSON, refusing unknown fields.
pub fn parse_assessment(bytes: &[u8], what: &str) -> Result<Assessment> {
    yaml_serde::from_slice(bytes).map_err(|e| Error::Parse {
        what: what.into(),
        detail: e.to_string(),
    })
}

/// The checks an assessment must pass before it is classified or recorded.
pub trait AssessmentRules {
    /// Refuses impossible values: negative counts, affected above total, unknown Member States,
    /// resolution before occurrence.
    fn validate(&self) -> Result<()>;

    /// The assessment with its amounts settled for an entity reporting in `currency`: in EUR,
    /// an amount given once serves both as reported amount and for the thresholds; in another
    /// currency the thresholds need the EUR equivalent, so an amount without it is refused.
    fn in_currency(&self, currency: &str) -> Result<Assessment>;
}

impl AssessmentRules for Assessment {
    fn in_currency(&self, currency: &str) -> Result<Assessment> {
        let mut a = self.clone();
        if currency == "EUR" {
            match (a.costs, a.costs_eur) {
                (Some(x), Some(y)) if x != y => {
                    return Err(Error::invalid(
                        "costs",
                        format!(
                            "the reporting currency is EUR: costs ({x}) and costs_eur ({y}) must agree; give one"
                        ),
                    ));
                }
                (x, y) => {
                    a.costs = x.or(y);
                    a.costs_eur = y.or(x);
                }
            }
            match (a.transaction_value, a.transaction_value_eur) {
                (Some(x), Some(y)) if x != y => {
                    return Err(Error::invalid(
                        "transaction_value",
                        "the reporting currency is EUR: transaction_value and transaction_value_eur must agree; give one",
                    ));
                }
                (x, y) => {
                    a.transaction_value = x.or(y);
                    a.transaction_value_eur = y.or(x);
                }
            }
            return Ok(a);
        }
        if a.costs.is_some() && a.costs_eur.is_none() {
            return Err(Error::invalid(
                "costs_eur",
                format!(
                    "costs are given in {currency}; give costs_eur too, their EUR equivalent, for the EUR 100,000 threshold (RTS 2024/1772 Art. 9(6))"
                ),
            ));
        }
        if a.costs_eur.is_some() && a.costs.is_none() {
            return Err(Error::invalid(
                "costs",
                format!(
                    "the reports give amounts in the reporting currency {currency} (field 1.15): give costs in {currency} as well as costs_eur"
                ),
            ));
        }
        if a.transaction_value_eur.is_some() && a.transaction_value.is_none() {
            return Err(Error::invalid(
                "transaction_value",
                format!(
                    "the reports give amounts in the reporting currency {currency} (field 1.15): give transaction_value in {currency} as well as transaction_value_eur"
                ),
            ));
        }
        Ok(a)
    }

    fn validate(&self) -> Result<()> {
        for (name, s) in [
            ("clients", self.clients),
            ("counterparts", self.counterparts),
            ("transactions", self.transactions),
            ("transaction_value_eur", self.transaction_value_eur),
            ("transaction_value", self.transaction_value),
        ] {
            if let Some(s) = s {
                if s.affected < 0 {
                    return Err(Error::invalid(
                        format!("{name}.affected"),
                        format!("must not be negative (got {})", s.affected),
                    ));
                }
                if s.total <= 0 {
                    return Err(Error::invalid(
                        format!("{name}.total"),
                        format!(
                            "must be positive: the service's total (got {}); leave {name} out if unknown",
                            s.total
                        ),
                    ));
                }
                if s.affected > s.total && !name.starts_with("transaction") {
                    return Err(Error::invalid(
                        format!("{name}.affected"),
                        format!("{} affected is more than the total {}", s.affected, s.total),
                    ));
                }
            }
        }
        if let Some(d) = self.downtime_minutes
            && d < 0
        {
            return Err(Error::invalid(
                "downtime_minutes",
                format!("must not be negative (got {d})"),
            ));
        }
        for (name, c) in [("costs_eur", self.costs_eur), ("costs", self.costs)] {
            if let Some(c) = c
                && c < 0
            {
                return Err(Error::invalid(
                    name,
                    format!("must not be negative (got {c}); do not deduct recoveries (Art. 7)"),
                ));
            }
        }
        for (i, ms) in self.member_states.iter().enumerate() {
            if crate::calendar::zone_of(ms).is_none() {
                return Err(Error::invalid(
                    format!("member_states[{i}]"),
                    format!(
                        "{ms:?} is not an EU/EEA Member State code (ISO 3166 alpha-2, e.g. DE)"
                    ),
                ));
            }
        }
        let occ = self
            .occurred_at
            .as_deref()
            .map(|s| parse_time("occurred_at", s))
            .transpose()?;
        let res = self
            .resolved_at
            .as_deref()
            .map(|s| parse_time("resolved_at", s))
            .transpose()?;
        if let (Some(o), Some(r)) = (occ, res)
            && r < o
        {
            return Err(Error::invalid(
                "resolved_at",
                format!(
                    "{} is before occurred_at {}",
                    crate::error::fmt_time(r),
                    crate::error::fmt_time(o)
                ),
            ));
        }
        Ok(())
    }
}

/// Classifies an incident. `detected_at` anchors the duration when the occurrence is unknown
/// (Art. 3); `resolved_at` is the incident's resolution if recorded; `now` measures the
/// duration so far when it is not resolved.
pub fn classify(
    a: &Assessment,
    model: &ModelFacts,
    detected_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Classification> {
    a.validate()?;
    let cs = critical_services(a, model);
    let mut ex = vec![format!(
        "Critical services affected ({}): {}.",
        law::CRITICAL_SERVICES,
        cs.detail
    )];
    let span = duration(a, detected_at, resolved_at, now)?;
    let results = crate::thresholds::evaluate(&crate::thresholds::Inputs {
        assessment: a,
        supports_critical_functions: cs.supports_functions,
        duration_minutes: span.minutes,
        from_occurrence: a.occurred_at.is_some(),
        resolved: span.resolved,
    });
    let paragraphs = paragraphs_met(&results);
    let malicious = a.malicious_access;
    let enough = paragraphs.len() >= law::MAJOR_MIN_OTHER_THRESHOLDS;
    let major = cs.met && (malicious || enough);
    for r in &results {
        if r.met {
            ex.push(format!("Met {}: {}.", r.reference, r.detail));
        } else if !r.detail.ends_with("not assessed") {
            ex.push(format!("Not met {}: {}.", r.reference, r.detail));
        }
    }
    ex.push(major_sentence(major, cs.met, malicious, &paragraphs));
    let mut criteria: Vec<String> = Vec::new();
    if cs.met {
        criteria.push(criterion::CRITICAL.into());
    }
    for r in results.iter().filter(|r| r.met) {
        if !criteria.contains(&r.criterion) {
            criteria.push(r.criterion.clone());
        }
    }
    Ok(Classification {
        major,
        critical_services: cs.met,
        critical_services_detail: cs.detail,
        malicious_access: malicious,
        other_thresholds_met: paragraphs,
        thresholds: results,
        criteria_met: criteria,
        explanation: ex,
        estimates: a.estimates,
        duration_minutes: span.minutes,
    })
}

/// The condition of Art. 6, with its reasons.
struct CriticalServices {
    /// Art. 6 is met.
    met: bool,
    /// Art. 6(a): the affected services support critical or important functions.
    supports_functions: bool,
    /// Why, or why not.
    detail: String,
}

/// Art. 6: the condition every major incident must meet: (a) critical or important functions
/// supported (stated, else from the model), (b) authorised services affected, (c) malicious
/// access.
fn critical_services(a: &Assessment, model: &ModelFacts) -> CriticalServices {
    let (supports, why_functions) = match a.supports_critical_functions {
        Some(v) => (
            v,
            format!(
                "the incident manager states the affected services {} critical or important functions",
                if v { "support" } else { "do not support" }
            ),
        ),
        None if model.functions.is_empty() => (
            false,
            "the architecture model links the affected systems to no critical or important function".to_string(),
        ),
        None => (
            true,
            format!(
                "the architecture model shows critical or important functions depending on the affected systems: {}",
                model.functions.join("; ")
            ),
        ),
    };
    let mut why = Vec::new();
    if supports {
        why.push(format!("(a) {why_functions}"));
    }
    if a.authorised_services_affected {
        why.push("(b) financial services requiring authorisation or registration, or supervised, are affected".into());
    }
    if a.malicious_access {
        why.push(
            "(c) the incident is a successful, malicious and unauthorised access to the network and information systems".into(),
        );
    }
    let met = !why.is_empty();
    let detail = if met {
        why.join("; ")
    } else {
        format!(
            "not met: {why_functions}; no authorised financial services affected; no malicious unauthorised access"
        )
    };
    CriticalServices {
        met,
        supports_functions: supports,
        detail,
    }
}

/// How long the incident lasted (Art. 3).
struct Span {
    minutes: i64,
    resolved: bool,
}

/// From occurrence, else detection; to resolution, else now (so far).
fn duration(
    a: &Assessment,
    detected_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Span> {
    let start = match a.occurred_at.as_deref() {
        Some(s) => parse_time("occurred_at", s)?,
        None => detected_at,
    };
    let end = match a.resolved_at.as_deref() {
        Some(s) => Some(parse_time("resolved_at", s)?),
        None => resolved_at,
    };
    let until = end.unwrap_or(now);
    if until < start {
        return Err(Error::invalid(
            "resolved_at",
            format!(
                "the incident cannot end ({}) before it started ({})",
                crate::error::fmt_time(until),
                crate::error::fmt_time(start)
            ),
        ));
    }
    Ok(Span {
        minutes: (until - start).num_minutes(),
        resolved: end.is_some(),
    })
}

/// The paragraphs of Art. 9 with a threshold met, counted once each: 9(1) once however many of
/// its points are met; 9(5)(a) apart from 9(5)(b), which suffices on its own and is not
/// counted here.
fn paragraphs_met(results: &[ThresholdResult]) -> Vec<String> {
    let mut paragraphs: Vec<String> = Vec::new();
    for r in results.iter().filter(|r| r.met) {
        if r.key == law::MALICIOUS_ACCESS.key {
            continue;
        }
        let para = paragraph(&r.reference);
        if !paragraphs.contains(&para) {
            paragraphs.push(para);
        }
    }
    paragraphs
}

/// The major rule of Art. 8(1), in a sentence.
fn major_sentence(major: bool, critical: bool, malicious: bool, paragraphs: &[String]) -> String {
    let enough = paragraphs.len() >= law::MAJOR_MIN_OTHER_THRESHOLDS;
    let why = match (critical, malicious, enough) {
        (false, _, _) => format!(
            "critical services are not affected, so the incident is not major whatever else is met ({} other threshold(s) met).",
            paragraphs.len()
        ),
        (true, true, _) => "critical services are affected and a successful malicious unauthorised access that may result in data losses (Art. 9(5)(b)) is enough on its own.".into(),
        (true, false, true) => format!(
            "critical services are affected and {} thresholds are met ({}); at least {} are needed, and criticality is not one of them.",
            paragraphs.len(),
            paragraphs.join(", "),
            law::MAJOR_MIN_OTHER_THRESHOLDS
        ),
        (true, false, false) => format!(
            "critical services are affected but only {} threshold(s) met{}; at least {} are needed, and criticality is not one of them.",
            paragraphs.len(),
            if paragraphs.is_empty() { String::new() } else { format!(" ({})", paragraphs.join(", ")) },
            law::MAJOR_MIN_OTHER_THRESHOLDS
        ),
    };
    format!(
        "{} ({}): {why}",
        if major { "MAJOR" } else { "Not major" },
        law::MAJOR_RULE
    )
}

/// The Art. 9 paragraph a threshold belongs to: `RTS 2024/1772 Art. 9(1)(b)` -> `Art. 9(1)`,
/// except 9(5)(a) and 9(5)(b), which are separate.
fn paragraph(reference: &str) -> String {
    let art = reference.trim_start_matches("RTS 2024/1772 ");
    if art.starts_with("Art. 9(5)") {
        return art.to_string();
    }
    match art.match_indices(')').next() {
        Some((i, _)) => art[..=i].to_string(),
        None => art.to_string(),
    }
}

/// `95` -> `1 h 35 min`.
pub fn hm(minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// The paragraph grouping is part of the rule; keep it tested next to it.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_group_by_paragraph() {
        assert_eq!(paragraph("RTS 2024/1772 Art. 9(1)(b)"), "Art. 9(1)");
        assert_eq!(paragraph("RTS 2024/1772 Art. 9(3)(a)"), "Art. 9(3)");
        assert_eq!(paragraph("RTS 2024/1772 Art. 9(5)(a)"), "Art. 9(5)(a)");
        assert_eq!(paragraph("RTS 2024/1772 Art. 9(6)"), "Art. 9(6)");
        assert_eq!(hm(95), "1 h 35 min");
    }
}
