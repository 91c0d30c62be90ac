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
use plumb_dora::incident::{self as law, Bound, Threshold, criterion};
use serde::Serialize;

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
}

impl AssessmentRules for Assessment {
    fn validate(&self) -> Result<()> {
        for (name, s) in [
            ("clients", self.clients),
            ("counterparts", self.counterparts),
            ("transactions", self.transactions),
            ("transaction_value_eur", self.transaction_value_eur),
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
                if s.affected > s.total && name != "transactions" && name != "transaction_value_eur"
                {
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
        if let Some(c) = self.costs_eur
            && c < 0
        {
            return Err(Error::invalid(
                "costs_eur",
                format!("must not be negative (got {c}); do not deduct recoveries (Art. 7)"),
            ));
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

/// `affected` exceeds `pct` per cent of `total`, in integers (exactly `pct` % is not above).
fn share_above(s: Share, pct: u64) -> bool {
    (s.affected as i128) * 100 > (s.total as i128) * pct as i128
}

fn pct(s: Share) -> String {
    format!("{:.2} %", s.affected as f64 * 100.0 / s.total as f64)
}

fn eval(t: &Threshold, met: bool, detail: String) -> ThresholdResult {
    ThresholdResult {
        key: t.key.into(),
        criterion: t.criterion.into(),
        reference: t.reference.into(),
        met,
        detail,
    }
}

fn bound_pct(t: &Threshold) -> u64 {
    match t.bound {
        Bound::PercentAbove(p) => p,
        _ => unreachable!("{} is a share threshold", t.key),
    }
}

fn bound_n(t: &Threshold) -> u64 {
    match t.bound {
        Bound::Above(n) | Bound::AtLeast(n) => n,
        _ => unreachable!("{} is a number threshold", t.key),
    }
}

fn share_threshold(t: &Threshold, s: Option<Share>, unit: &str) -> ThresholdResult {
    match s {
        None => eval(t, false, format!("{unit}: not assessed")),
        Some(s) => {
            let p = bound_pct(t);
            let met = share_above(s, p);
            eval(
                t,
                met,
                format!(
                    "{} of {} {unit} = {} ({} {p} %)",
                    s.affected,
                    s.total,
                    pct(s),
                    if met { "above" } else { "not above" }
                ),
            )
        }
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
    let mut ex = Vec::new();

    // Art. 6: the condition every major incident must meet.
    let cif = match a.supports_critical_functions {
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
    let mut why_critical = Vec::new();
    if cif.0 {
        why_critical.push(format!("(a) {}", cif.1));
    }
    if a.authorised_services_affected {
        why_critical.push("(b) financial services requiring authorisation or registration, or supervised, are affected".into());
    }
    if a.malicious_access {
        why_critical.push(
            "(c) the incident is a successful, malicious and unauthorised access to the network and information systems".into(),
        );
    }
    let critical = !why_critical.is_empty();
    let critical_detail = if critical {
        why_critical.join("; ")
    } else {
        format!(
            "not met: {}; no authorised financial services affected; no malicious unauthorised access",
            cif.1
        )
    };
    ex.push(format!(
        "Critical services affected ({}): {}.",
        law::CRITICAL_SERVICES,
        critical_detail
    ));

    let mut results = vec![
        share_threshold(&law::CLIENTS_SHARE, a.clients, "clients"),
        match a.clients {
            None => eval(&law::CLIENTS_NUMBER, false, "clients: not assessed".into()),
            Some(s) => {
                let n = bound_n(&law::CLIENTS_NUMBER);
                let met = s.affected as u64 > n;
                eval(
                    &law::CLIENTS_NUMBER,
                    met,
                    format!(
                        "{} clients affected ({} {n})",
                        s.affected,
                        if met { "above" } else { "not above" }
                    ),
                )
            }
        },
        share_threshold(
            &law::COUNTERPARTS_SHARE,
            a.counterparts,
            "financial counterparts",
        ),
        share_threshold(
            &law::TRANSACTIONS_NUMBER,
            a.transactions,
            "transactions (daily average)",
        ),
        share_threshold(
            &law::TRANSACTIONS_VALUE,
            a.transaction_value_eur,
            "EUR of transactions (daily average value)",
        ),
        eval(
            &law::RELEVANT_CLIENTS,
            a.relevant_clients_affected,
            if a.relevant_clients_affected {
                "relevant clients or counterparts are affected".into()
            } else {
                "no relevant clients or counterparts affected".into()
            },
        ),
        eval(
            &law::REPUTATION,
            !a.reputational.is_empty(),
            if a.reputational.is_empty() {
                "no case of Art. 2".into()
            } else {
                format!(
                    "cases: {}",
                    a.reputational
                        .iter()
                        .map(snake)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        ),
    ];

    // Duration (Art. 3): from occurrence, else detection; to resolution, else now (so far).
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
    let minutes = (until - start).num_minutes();
    let dh = bound_n(&law::DURATION_HOURS) as i64;
    let dmet = minutes > dh * 60;
    results.push(eval(
        &law::DURATION_HOURS,
        dmet,
        format!(
            "{} from {} to {} ({} {dh} h){}",
            hm(minutes),
            if a.occurred_at.is_some() {
                "occurrence"
            } else {
                "detection"
            },
            if end.is_some() {
                "resolution"
            } else {
                "now, not yet resolved"
            },
            if dmet { "above" } else { "not above" },
            if end.is_none() && !dmet {
                "; re-assess while it lasts"
            } else {
                ""
            }
        ),
    ));
    let dt = bound_n(&law::DOWNTIME_HOURS) as i64;
    results.push(match a.downtime_minutes {
        None => eval(&law::DOWNTIME_HOURS, false, "downtime: not assessed".into()),
        Some(m) if !cif.0 => eval(
            &law::DOWNTIME_HOURS,
            false,
            format!(
                "{} of downtime, but this threshold applies only to ICT services supporting critical or important functions",
                hm(m)
            ),
        ),
        Some(m) => {
            let met = m > dt * 60;
            eval(
                &law::DOWNTIME_HOURS,
                met,
                format!(
                    "{} of downtime of a service supporting critical or important functions ({} {dt} h)",
                    hm(m),
                    if met { "above" } else { "not above" }
                ),
            )
        }
    });
    let mut states = a.member_states.clone();
    states.sort();
    states.dedup();
    let ms = bound_n(&law::MEMBER_STATES) as usize;
    results.push(eval(
        &law::MEMBER_STATES,
        states.len() >= ms,
        format!(
            "impact in {} Member State(s){} (at least {ms} needed)",
            states.len(),
            if states.is_empty() {
                String::new()
            } else {
                format!(": {}", states.join(", "))
            }
        ),
    ));
    results.push(eval(
        &law::DATA_LOSS,
        !a.data_losses.is_empty(),
        if a.data_losses.is_empty() {
            "no adverse impact on data".into()
        } else {
            format!(
                "adverse impact on {}",
                a.data_losses
                    .iter()
                    .map(snake)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    ));
    results.push(eval(
        &law::MALICIOUS_ACCESS,
        a.malicious_access,
        if a.malicious_access {
            "successful, malicious and unauthorised access that may result in data losses".into()
        } else {
            "no malicious unauthorised access".into()
        },
    ));
    let eur = bound_n(&law::ECONOMIC_EUR);
    results.push(match a.costs_eur {
        None => eval(&law::ECONOMIC_EUR, false, "costs: not assessed".into()),
        Some(c) => {
            let met = c as u64 > eur;
            eval(
                &law::ECONOMIC_EUR,
                met,
                format!(
                    "EUR {c} costs and losses ({} EUR {eur})",
                    if met { "above" } else { "not above" }
                ),
            )
        }
    });

    // Count by paragraph: 9(1) once however many of its points are met; 9(5)(a) apart from
    // 9(5)(b), which is the one that suffices on its own.
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
    let malicious = a.malicious_access;
    let enough = paragraphs.len() >= law::MAJOR_MIN_OTHER_THRESHOLDS;
    let major = critical && (malicious || enough);
    for r in &results {
        if r.met {
            ex.push(format!("Met {}: {}.", r.reference, r.detail));
        } else if !r.detail.ends_with("not assessed") {
            ex.push(format!("Not met {}: {}.", r.reference, r.detail));
        }
    }
    ex.push(format!(
        "{} ({}): {}",
        if major { "MAJOR" } else { "Not major" },
        law::MAJOR_RULE,
        match (critical, malicious, enough) {
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
        }
    ));
    let mut criteria: Vec<String> = Vec::new();
    if critical {
        criteria.push(criterion::CRITICAL.into());
    }
    for r in results.iter().filter(|r| r.met) {
        if !criteria.contains(&r.criterion) {
            criteria.push(r.criterion.clone());
        }
    }
    Ok(Classification {
        major,
        critical_services: critical,
        critical_services_detail: critical_detail,
        malicious_access: malicious,
        other_thresholds_met: paragraphs,
        thresholds: results,
        criteria_met: criteria,
        explanation: ex,
        estimates: a.estimates,
        duration_minutes: minutes,
    })
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

/// The serialised (snake_case) name of an enumeration value.
fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|x| x.as_str().map(str::to_string))
        .unwrap_or_default()
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
