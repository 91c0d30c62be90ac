//! The materiality thresholds of RTS 2024/1772 Art. 9, one rule each: the threshold (its key,
//! criterion, reference and bound come from [`plumb_dora::incident`]) and a small function that
//! evaluates it against the assessment, saying in numbers why it is met or not.
//! [`crate::classify::classify`] runs them in order and applies the major rule of Art. 8(1).

use plumb_dora::incident::{self as law, Bound, Threshold};
use serde::Serialize;

use crate::classify::{Assessment, Share, ThresholdResult, hm};

/// What the evaluators read besides the assessment.
pub struct Inputs<'a> {
    /// The incident manager's assessment.
    pub assessment: &'a Assessment,
    /// Whether the affected services support critical or important functions (Art. 6(a)):
    /// stated, or taken from the model.
    pub supports_critical_functions: bool,
    /// The incident's duration in minutes (Art. 3), so far when not resolved.
    pub duration_minutes: i64,
    /// Whether the duration runs from the occurrence (else from detection).
    pub from_occurrence: bool,
    /// Whether the incident is resolved (else the duration runs to now).
    pub resolved: bool,
}

/// One threshold and its evaluator.
pub struct ThresholdRule {
    /// The threshold as the law states it.
    pub threshold: &'static Threshold,
    /// Evaluates it.
    pub eval: fn(&Threshold, &Inputs<'_>) -> ThresholdResult,
}

/// Every threshold of Art. 9, in the order they are reported.
pub const THRESHOLD_RULES: &[ThresholdRule] = &[
    ThresholdRule {
        threshold: &law::CLIENTS_SHARE,
        eval: clients_share,
    },
    ThresholdRule {
        threshold: &law::CLIENTS_NUMBER,
        eval: clients_number,
    },
    ThresholdRule {
        threshold: &law::COUNTERPARTS_SHARE,
        eval: counterparts_share,
    },
    ThresholdRule {
        threshold: &law::TRANSACTIONS_NUMBER,
        eval: transactions_number,
    },
    ThresholdRule {
        threshold: &law::TRANSACTIONS_VALUE,
        eval: transactions_value,
    },
    ThresholdRule {
        threshold: &law::RELEVANT_CLIENTS,
        eval: relevant_clients,
    },
    ThresholdRule {
        threshold: &law::REPUTATION,
        eval: reputation,
    },
    ThresholdRule {
        threshold: &law::DURATION_HOURS,
        eval: duration,
    },
    ThresholdRule {
        threshold: &law::DOWNTIME_HOURS,
        eval: downtime,
    },
    ThresholdRule {
        threshold: &law::MEMBER_STATES,
        eval: member_states,
    },
    ThresholdRule {
        threshold: &law::DATA_LOSS,
        eval: data_loss,
    },
    ThresholdRule {
        threshold: &law::MALICIOUS_ACCESS,
        eval: malicious_access,
    },
    ThresholdRule {
        threshold: &law::ECONOMIC_EUR,
        eval: economic,
    },
];

/// Evaluates every threshold.
pub fn evaluate(inputs: &Inputs<'_>) -> Vec<ThresholdResult> {
    THRESHOLD_RULES
        .iter()
        .map(|r| (r.eval)(r.threshold, inputs))
        .collect()
}

fn result(t: &Threshold, met: bool, detail: String) -> ThresholdResult {
    ThresholdResult {
        key: t.key.into(),
        criterion: t.criterion.into(),
        reference: t.reference.into(),
        met,
        detail,
    }
}

fn above(met: bool) -> &'static str {
    if met { "above" } else { "not above" }
}

/// The number in a bound; a share or yes/no bound has none (0; the registry test checks each
/// rule reads the kind of bound its threshold has).
fn bound_n(t: &Threshold) -> u64 {
    match t.bound {
        Bound::Above(n) | Bound::AtLeast(n) | Bound::PercentAbove(n) => n,
        Bound::Any => 0,
    }
}

/// `affected` exceeds `pct` per cent of `total`, in integers (exactly `pct` % is not above).
fn share_above(s: Share, pct: u64) -> bool {
    (s.affected as i128) * 100 > (s.total as i128) * pct as i128
}

fn share(t: &Threshold, s: Option<Share>, unit: &str) -> ThresholdResult {
    let Some(s) = s else {
        return result(t, false, format!("{unit}: not assessed"));
    };
    let p = bound_n(t);
    let met = share_above(s, p);
    // Validation guarantees a positive total.
    let pct = s.affected as f64 * 100.0 / s.total.max(1) as f64;
    result(
        t,
        met,
        format!(
            "{} of {} {unit} = {pct:.2} % ({} {p} %)",
            s.affected,
            s.total,
            above(met)
        ),
    )
}

fn clients_share(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    share(t, i.assessment.clients, "clients")
}

fn clients_number(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    let Some(s) = i.assessment.clients else {
        return result(t, false, "clients: not assessed".into());
    };
    let n = bound_n(t);
    let met = s.affected > 0 && s.affected as u64 > n;
    result(
        t,
        met,
        format!("{} clients affected ({} {n})", s.affected, above(met)),
    )
}

fn counterparts_share(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    share(t, i.assessment.counterparts, "financial counterparts")
}

fn transactions_number(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    share(t, i.assessment.transactions, "transactions (daily average)")
}

fn transactions_value(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    share(
        t,
        i.assessment
            .transaction_value_eur
            .or(i.assessment.transaction_value),
        "in value of transactions (daily average value)",
    )
}

fn relevant_clients(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    let met = i.assessment.relevant_clients_affected;
    let detail = if met {
        "relevant clients or counterparts are affected"
    } else {
        "no relevant clients or counterparts affected"
    };
    result(t, met, detail.into())
}

/// The serialised (snake_case) names of enumeration values, comma-separated.
fn names<T: Serialize>(vs: &[T]) -> String {
    vs.iter()
        .filter_map(|v| serde_json::to_value(v).ok())
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect::<Vec<_>>()
        .join(", ")
}

fn reputation(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    let cases = &i.assessment.reputational;
    if cases.is_empty() {
        return result(t, false, "no case of Art. 2".into());
    }
    result(t, true, format!("cases: {}", names(cases)))
}

fn duration(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    let dh = bound_n(t) as i64;
    let met = i.duration_minutes > dh * 60;
    result(
        t,
        met,
        format!(
            "{} from {} to {} ({} {dh} h){}",
            hm(i.duration_minutes),
            if i.from_occurrence {
                "occurrence"
            } else {
                "detection"
            },
            if i.resolved {
                "resolution"
            } else {
                "now, not yet resolved"
            },
            above(met),
            if !i.resolved && !met {
                "; re-assess while it lasts"
            } else {
                ""
            }
        ),
    )
}

fn downtime(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    let Some(m) = i.assessment.downtime_minutes else {
        return result(t, false, "downtime: not assessed".into());
    };
    if !i.supports_critical_functions {
        return result(
            t,
            false,
            format!(
                "{} of downtime, but this threshold applies only to ICT services supporting critical or important functions",
                hm(m)
            ),
        );
    }
    let dt = bound_n(t) as i64;
    let met = m > dt * 60;
    result(
        t,
        met,
        format!(
            "{} of downtime of a service supporting critical or important functions ({} {dt} h)",
            hm(m),
            above(met)
        ),
    )
}

fn member_states(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    let mut states = i.assessment.member_states.clone();
    states.sort();
    states.dedup();
    let ms = bound_n(t) as usize;
    result(
        t,
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
    )
}

fn data_loss(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    let losses = &i.assessment.data_losses;
    if losses.is_empty() {
        return result(t, false, "no adverse impact on data".into());
    }
    result(t, true, format!("adverse impact on {}", names(losses)))
}

fn malicious_access(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    let met = i.assessment.malicious_access;
    let detail = if met {
        "successful, malicious and unauthorised access that may result in data losses"
    } else {
        "no malicious unauthorised access"
    };
    result(t, met, detail.into())
}

fn economic(t: &Threshold, i: &Inputs<'_>) -> ThresholdResult {
    let Some(c) = i.assessment.costs_eur else {
        return result(t, false, "costs: not assessed".into());
    };
    let eur = bound_n(t);
    let met = c > 0 && c as u64 > eur;
    result(
        t,
        met,
        format!("EUR {c} costs and losses ({} EUR {eur})", above(met)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(a: &Assessment) -> Inputs<'_> {
        Inputs {
            assessment: a,
            supports_critical_functions: true,
            duration_minutes: 0,
            from_occurrence: false,
            resolved: true,
        }
    }

    #[test]
    fn every_threshold_of_the_law_has_exactly_one_rule_with_a_matching_bound() {
        assert_eq!(THRESHOLD_RULES.len(), law::THRESHOLDS.len());
        for t in law::THRESHOLDS {
            let rules: Vec<_> = THRESHOLD_RULES
                .iter()
                .filter(|r| r.threshold.key == t.key)
                .collect();
            assert_eq!(rules.len(), 1, "{}", t.key);
        }
        // The share evaluators read percentages, the others numbers.
        for r in THRESHOLD_RULES {
            let is_share = matches!(r.threshold.bound, Bound::PercentAbove(_));
            let reads_share = [
                law::CLIENTS_SHARE.key,
                law::COUNTERPARTS_SHARE.key,
                law::TRANSACTIONS_NUMBER.key,
                law::TRANSACTIONS_VALUE.key,
            ]
            .contains(&r.threshold.key);
            assert_eq!(is_share, reads_share, "{}", r.threshold.key);
        }
    }

    #[test]
    fn each_rule_says_not_assessed_rather_than_guessing() {
        let a = Assessment::default();
        let results = evaluate(&inputs(&a));
        assert!(results.iter().all(|r| !r.met), "{results:?}");
        for key in [
            law::CLIENTS_SHARE.key,
            law::DOWNTIME_HOURS.key,
            law::ECONOMIC_EUR.key,
        ] {
            let r = results.iter().find(|r| r.key == key).unwrap();
            assert!(r.detail.ends_with("not assessed"), "{}", r.detail);
        }
    }

    #[test]
    fn shares_are_compared_in_integers_and_exactly_the_bound_is_not_above() {
        let t = &law::CLIENTS_SHARE;
        let Bound::PercentAbove(p) = t.bound else {
            panic!("a share threshold")
        };
        let at = Share {
            affected: p as i64,
            total: 100,
        };
        let over = Share {
            affected: p as i64 + 1,
            total: 100,
        };
        assert!(!share(t, Some(at), "clients").met);
        assert!(share(t, Some(over), "clients").met);
    }

    #[test]
    fn downtime_counts_only_for_services_supporting_critical_functions() {
        let a = Assessment {
            downtime_minutes: Some(10 * 60),
            ..Default::default()
        };
        let mut i = inputs(&a);
        assert!(downtime(&law::DOWNTIME_HOURS, &i).met);
        i.supports_critical_functions = false;
        let r = downtime(&law::DOWNTIME_HOURS, &i);
        assert!(!r.met && r.detail.contains("applies only"), "{}", r.detail);
    }
}
