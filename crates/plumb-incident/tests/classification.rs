//! The classification case table (tests/cases/classification.yaml) and bad input.

use chrono::{DateTime, Duration, Utc};
use plumb_incident::classify::{Assessment, ModelFacts, classify};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    cite: String,
    model: Vec<String>,
    #[serde(default)]
    detected_at: Option<String>,
    assessment: Assessment,
    major: bool,
    met: Vec<String>,
    #[serde(default)]
    explain: Option<String>,
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn classification_cases_from_the_legal_text() {
    let cases: Vec<Case> =
        yaml_serde::from_str(include_str!("cases/classification.yaml")).expect("case table");
    assert!(cases.len() >= 15);
    let mut failures = Vec::new();
    for c in &cases {
        let detected = t(c.detected_at.as_deref().unwrap_or("2026-11-16T08:00:00Z"));
        let now = t("2026-11-16T12:00:00Z");
        let r = classify(
            &c.assessment,
            &ModelFacts {
                functions: c.model.clone(),
            },
            detected,
            None,
            now,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let met: Vec<String> = r
            .thresholds
            .iter()
            .filter(|x| x.met)
            .map(|x| x.key.clone())
            .collect();
        let text = r.explanation.join("\n");
        if r.major != c.major || met != c.met {
            failures.push(format!(
                "{} ({}): major {} (want {}), met {:?} (want {:?})\n{text}",
                c.name, c.cite, r.major, c.major, met, c.met
            ));
        }
        if let Some(want) = &c.explain
            && !text.contains(want.as_str())
        {
            failures.push(format!("{}: explanation lacks {want:?}:\n{text}", c.name));
        }
        // Every met threshold is explained with its paragraph.
        for x in r.thresholds.iter().filter(|x| x.met) {
            assert!(text.contains(&x.reference), "{}: {}", c.name, x.reference);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn same_inputs_same_result() {
    let a: Assessment = yaml_serde::from_str(
        "{clients: {affected: 200000, total: 1000000}, costs_eur: 200000, estimates: true}",
    )
    .unwrap();
    let m = ModelFacts {
        functions: vec!["Payments (critical)".into()],
    };
    let now = t("2026-11-16T12:00:00Z");
    let x = classify(&a, &m, now - Duration::hours(1), None, now).unwrap();
    let y = classify(&a, &m, now - Duration::hours(1), None, now).unwrap();
    assert_eq!(
        serde_json::to_vec(&x).unwrap(),
        serde_json::to_vec(&y).unwrap()
    );
    assert!(x.major && x.estimates);
    assert_eq!(
        x.criteria_met,
        [
            "critical_services_affected",
            "clients_financial_counterparts_and_transactions_affected",
            "economic_impact"
        ]
    );
}

#[test]
fn impossible_assessments_are_refused_with_the_field() {
    let now = t("2026-11-16T12:00:00Z");
    let m = ModelFacts::default();
    for (yaml, field) in [
        ("{clients: {affected: -5, total: 100}}", "clients.affected"),
        ("{clients: {affected: 5, total: 0}}", "clients.total"),
        ("{clients: {affected: 500, total: 100}}", "clients.affected"),
        (
            "{counterparts: {affected: 11, total: 10}}",
            "counterparts.affected",
        ),
        ("{downtime_minutes: -1}", "downtime_minutes"),
        ("{costs_eur: -100}", "costs_eur"),
        ("{member_states: [DE, XX]}", "member_states[1]"),
        (
            "{occurred_at: '2026-11-16T10:00:00Z', resolved_at: '2026-11-16T09:00:00Z'}",
            "resolved_at",
        ),
        ("{occurred_at: '2026-11-16 10:00'}", "occurred_at"),
        ("{resolved_at: '2026-11-16T07:00:00Z'}", "resolved_at"),
    ] {
        let a: Assessment = yaml_serde::from_str(yaml).unwrap();
        let e = classify(&a, &m, now - Duration::hours(4), None, now)
            .expect_err(yaml)
            .to_string();
        assert!(e.starts_with(field), "{yaml}: {e}");
    }
    // Unknown fields and wrong types do not parse at all.
    for bad in [
        "{client: {affected: 1, total: 2}}",
        "{clients: {affected: many, total: 2}}",
        "{reputational: [gossip]}",
        "{data_losses: [everything]}",
    ] {
        assert!(yaml_serde::from_str::<Assessment>(bad).is_err(), "{bad}");
    }
}

#[test]
fn significant_cyber_threat_needs_all_three_conditions() {
    use plumb_incident::threat::{Threat, assess};
    let full = Threat {
        could_affect_critical_functions_or_others: true,
        high_probability: true,
        could_meet_geographical_spread: true,
        ..Default::default()
    };
    assert!(assess(&full).significant);
    for t in [
        Threat {
            high_probability: false,
            ..full.clone()
        },
        Threat {
            could_affect_critical_functions_or_others: false,
            ..full.clone()
        },
        Threat {
            could_meet_geographical_spread: false,
            ..full.clone()
        },
    ] {
        let r = assess(&t);
        assert!(!r.significant, "{:?}", r.explanation);
        assert!(r.explanation.iter().any(|l| l.contains("NOT met")));
    }
}
