//! Recurring incidents (RTS 2024/1772 Art. 8(2)): incidents that are not major on their own
//! are one major incident when they occurred at least twice within six months, share the same
//! apparent root cause, and together meet the major rule. Entities assess this monthly; the
//! rule does not apply to microenterprises nor to the other entities under DORA Art. 16(1)
//! (`Entity::recurring_rule_applies`).
//!
//! "Together" is read as: counts, amounts, downtime and durations add up; Member States,
//! reputational cases and data properties are united; a criterion met by one is met by the
//! group. Shares are taken against the largest total any of them reported.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Months, Utc};
use plumb_dora::incident as law;
use serde::Serialize;

use crate::classify::{Assessment, Classification, ModelFacts, Share, classify};
use crate::error::{Result, fmt_time};

/// A non-major incident considered for recurrence.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Incident id.
    pub id: String,
    /// When it occurred (or was detected, if the occurrence is not known): the six months
    /// of Art. 8(2)(a) count occurrences.
    pub occurred_at: DateTime<Utc>,
    /// When the entity became aware of it: field 2.2 of the aggregated report is the
    /// detection of the last of them (ITS 2025/302 Art. 3).
    pub detected_at: DateTime<Utc>,
    /// Its affected services.
    pub services: Vec<String>,
    /// How it was discovered (field 2.7).
    pub discovery: String,
    /// Its apparent root cause (compared exactly, case-insensitive).
    pub root_cause: String,
    /// Its assessment.
    pub assessment: Assessment,
    /// What the model said.
    pub model: ModelFacts,
    /// Its classification (duration in minutes).
    pub classification: Classification,
}

/// A group of incidents that recur as one major incident.
#[derive(Debug, Clone, Serialize)]
pub struct Recurring {
    /// The shared root cause.
    pub root_cause: String,
    /// The incidents, oldest first.
    pub incidents: Vec<String>,
    /// When each occurred, oldest first.
    pub occurrences: Vec<String>,
    /// The occurrence of the last of them (field 4.16).
    pub last_occurred_at: String,
    /// The detection of the last of them (field 2.2 of the aggregated report).
    pub last_detected_at: String,
    /// How the last of them was discovered (field 2.7).
    pub discovery: String,
    /// Every affected service, once.
    pub services: Vec<String>,
    /// The assessments taken together.
    pub assessment: Assessment,
    /// The functions the model names, once.
    pub model: ModelFacts,
    /// The classification of the group.
    pub classification: Classification,
}

/// Two shares taken together: affected added (saturating), against the larger total. For
/// clients and counterparts the same people may be counted twice, so the sum is capped at the
/// total (every one of them affected at most once); transactions are not capped.
fn add(a: Option<Share>, b: Option<Share>, cap: bool) -> Option<Share> {
    match (a, b) {
        (Some(x), Some(y)) => {
            let total = x.total.max(y.total);
            let affected = x.affected.saturating_add(y.affected);
            Some(Share {
                affected: if cap { affected.min(total) } else { affected },
                total,
            })
        }
        (x, y) => x.or(y),
    }
}

/// A group that could not be assessed, and why (one bad group never hides the others).
#[derive(Debug, Clone, Serialize)]
pub struct Unassessed {
    /// Its incidents.
    pub incidents: Vec<String>,
    /// Why.
    pub reason: String,
}

/// The groups among `candidates` that meet Art. 8(2) at `now`, and the groups that could not
/// be assessed, each with the reason. Empty where the rule does not apply (`applies`:
/// `Entity::recurring_rule_applies`).
pub fn assess(
    candidates: &[Candidate],
    now: DateTime<Utc>,
    applies: bool,
) -> Result<(Vec<Recurring>, Vec<Unassessed>)> {
    let mut failed = Vec::new();
    if !applies {
        return Ok((Vec::new(), failed));
    }
    let since = now
        .checked_sub_months(Months::new(law::RECURRING_WINDOW_MONTHS))
        .unwrap_or(now);
    let mut groups: BTreeMap<String, Vec<&Candidate>> = BTreeMap::new();
    for c in candidates {
        if c.classification.major || c.occurred_at < since || c.occurred_at > now {
            continue;
        }
        let key = c.root_cause.trim().to_lowercase();
        if !key.is_empty() {
            groups.entry(key).or_default().push(c);
        }
    }
    let mut out = Vec::new();
    for (_, mut g) in groups {
        if g.len() < law::RECURRING_MIN_OCCURRENCES {
            continue;
        }
        g.sort_by_key(|c| c.occurred_at);
        let mut sum = Assessment::default();
        let mut minutes = 0i64;
        let mut functions: Vec<String> = Vec::new();
        let mut cif = None;
        for c in &g {
            let a = &c.assessment;
            sum.clients = add(sum.clients, a.clients, true);
            sum.counterparts = add(sum.counterparts, a.counterparts, true);
            sum.transactions = add(sum.transactions, a.transactions, false);
            sum.transaction_value_eur =
                add(sum.transaction_value_eur, a.transaction_value_eur, false);
            sum.transaction_value = add(sum.transaction_value, a.transaction_value, false);
            sum.relevant_clients_affected |= a.relevant_clients_affected;
            sum.reputational.extend(a.reputational.iter().copied());
            sum.member_states.extend(a.member_states.iter().cloned());
            sum.data_losses.extend(a.data_losses.iter().copied());
            sum.malicious_access |= a.malicious_access;
            sum.authorised_services_affected |= a.authorised_services_affected;
            sum.estimates |= a.estimates;
            if let Some(d) = a.downtime_minutes {
                sum.downtime_minutes = Some(sum.downtime_minutes.unwrap_or(0).saturating_add(d));
            }
            if let Some(x) = a.costs_eur {
                sum.costs_eur = Some(sum.costs_eur.unwrap_or(0).saturating_add(x));
            }
            if let Some(x) = a.costs {
                sum.costs = Some(sum.costs.unwrap_or(0).saturating_add(x));
            }
            if let Some(v) = a.supports_critical_functions {
                cif = Some(cif.unwrap_or(false) || v);
            }
            minutes = minutes.saturating_add(c.classification.duration_minutes);
            for f in &c.model.functions {
                if !functions.contains(f) {
                    functions.push(f.clone());
                }
            }
        }
        sum.reputational.sort();
        sum.reputational.dedup();
        sum.data_losses.sort();
        sum.data_losses.dedup();
        sum.member_states.sort();
        sum.member_states.dedup();
        sum.supports_critical_functions = cif;
        // The durations add up: express the sum as one span.
        let start = g[0].occurred_at;
        sum.occurred_at = Some(fmt_time(start));
        let ids = || g.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        let Some(end) = Duration::try_minutes(minutes).and_then(|d| start.checked_add_signed(d))
        else {
            failed.push(Unassessed {
                incidents: ids(),
                reason: "their durations add up past the calendar; check the incidents' resolution times".into(),
            });
            continue;
        };
        sum.resolved_at = Some(fmt_time(end));
        let model = ModelFacts { functions };
        let mut result = match classify(&sum, &model, start, None, now) {
            Ok(r) => r,
            Err(e) => {
                failed.push(Unassessed {
                    incidents: ids(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if !result.major {
            continue;
        }
        let Some(last) = g.last() else { continue };
        result.explanation.insert(
            0,
            format!(
                "{} incidents with the same apparent root cause ({}) within {} months, each not major on its own, taken together ({}):",
                g.len(),
                last.root_cause,
                law::RECURRING_WINDOW_MONTHS,
                law::RECURRING_RULE
            ),
        );
        let mut services: Vec<String> = Vec::new();
        for c in &g {
            for s in &c.services {
                if !services.contains(s) {
                    services.push(s.clone());
                }
            }
        }
        out.push(Recurring {
            root_cause: last.root_cause.clone(),
            incidents: g.iter().map(|c| c.id.clone()).collect(),
            occurrences: g.iter().map(|c| fmt_time(c.occurred_at)).collect(),
            last_occurred_at: fmt_time(last.occurred_at),
            last_detected_at: fmt_time(last.detected_at),
            discovery: last.discovery.clone(),
            services,
            assessment: sum,
            model,
            classification: result,
        });
    }
    Ok((out, failed))
}

/// The incidents that may recur: classified, not major, not themselves recurring, with an
/// apparent root cause recorded. Returns them and the ids of those left out for want of a root
/// cause (the incident manager should record one). `facts` gives the model's functions for an
/// incident's services.
pub fn candidates(
    incidents: &[crate::event::Incident],
    facts: impl Fn(&[String]) -> ModelFacts,
) -> (Vec<Candidate>, Vec<String>) {
    let mut out = Vec::new();
    let mut no_cause = Vec::new();
    for i in incidents {
        let (Some(a), Some(c)) = (&i.assessment, &i.classification) else {
            continue;
        };
        if c.major || i.recurring.is_some() {
            continue;
        }
        let Some(cause) = i.root_cause.as_ref().filter(|r| !r.trim().is_empty()) else {
            no_cause.push(i.id.clone());
            continue;
        };
        let Ok(detected) = crate::error::parse_time("detected_at", &i.detected_at) else {
            continue;
        };
        let occurred = a
            .occurred_at
            .as_deref()
            .and_then(|s| crate::error::parse_time("occurred_at", s).ok())
            .unwrap_or(detected);
        out.push(Candidate {
            id: i.id.clone(),
            occurred_at: occurred,
            detected_at: detected,
            services: i.services.clone(),
            discovery: i.discovery.clone(),
            root_cause: cause.clone(),
            assessment: a.clone(),
            model: facts(&i.services),
            classification: c.clone(),
        });
    }
    (out, no_cause)
}
