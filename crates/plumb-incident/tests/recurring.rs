//! Recurring incidents (RTS 2024/1772 Art. 8(2)): non-major incidents with the same apparent
//! root cause within six months, major together; and the entities the rule does not apply to.

use chrono::{DateTime, Duration, Utc};
use plumb_incident::classify::{Assessment, ModelFacts, classify};
use plumb_incident::recurring::{Candidate, assess};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A non-major incident: critical services affected, EUR 60,000 of costs (under the 100,000
/// threshold) and impact in one Member State (two are needed).
fn candidate(id: &str, at: &str, cause: &str, state: &str) -> Candidate {
    let a: Assessment = yaml_serde::from_str(&format!(
        "{{supports_critical_functions: true, costs_eur: 60000, member_states: [{state}], resolved_at: \"{}\"}}",
        rfc3339(t(at) + Duration::hours(1))
    ))
    .unwrap();
    let model = ModelFacts::default();
    let classification = classify(&a, &model, t(at), None, t(at) + Duration::hours(2)).unwrap();
    assert!(!classification.major, "{id} is not major on its own");
    Candidate {
        id: id.into(),
        occurred_at: t(at),
        // Detected half an hour after it occurred.
        detected_at: t(at) + Duration::minutes(30),
        services: vec![format!("svc-{state}")],
        discovery: "monitoring_systems".into(),
        root_cause: cause.into(),
        assessment: a,
        model,
        classification,
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[test]
fn two_incidents_with_one_root_cause_are_major_together() {
    let now = t("2026-11-30T12:00:00Z");
    let cands = vec![
        candidate(
            "INC-1",
            "2026-08-03T10:00:00Z",
            "Expired TLS certificate",
            "DE",
        ),
        candidate(
            "INC-2",
            "2026-11-02T10:00:00Z",
            "expired tls certificate ",
            "AT",
        ),
        // Another cause, and one too old: neither joins the group.
        candidate("INC-3", "2026-11-10T10:00:00Z", "Disk full", "DE"),
        candidate(
            "INC-4",
            "2026-04-01T10:00:00Z",
            "Expired TLS certificate",
            "FR",
        ),
    ];
    let (groups, failed) = assess(&cands, now, true).unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(groups.len(), 1, "{groups:?}");
    let g = &groups[0];
    assert_eq!(g.incidents, vec!["INC-1".to_string(), "INC-2".to_string()]);
    assert!(g.classification.major);
    // Together: EUR 120,000 of costs and two Member States.
    assert_eq!(
        g.classification.other_thresholds_met.len(),
        2,
        "{:?}",
        g.classification.explanation
    );
    assert!(
        g.classification.explanation[0].contains("2 incidents with the same apparent root cause")
    );
    // Field 2.2 of the aggregated report is the detection of the last one, not its occurrence
    // (ITS 2025/302 Art. 3); 4.16 is its occurrence.
    assert_eq!(g.last_detected_at, "2026-11-02T10:30:00Z");
    assert_eq!(g.last_occurred_at, "2026-11-02T10:00:00Z");
    assert_eq!(g.services, vec!["svc-DE".to_string(), "svc-AT".to_string()]);
}

#[test]
fn the_rule_does_not_apply_to_microenterprises_or_the_simplified_framework() {
    let now = t("2026-11-30T12:00:00Z");
    let cands = vec![
        candidate(
            "INC-1",
            "2026-10-03T10:00:00Z",
            "Expired TLS certificate",
            "DE",
        ),
        candidate(
            "INC-2",
            "2026-11-02T10:00:00Z",
            "Expired TLS certificate",
            "AT",
        ),
    ];
    let entity = |extra: &str| -> plumb_incident::config::Entity {
        yaml_serde::from_str(&format!(
            "{{name: Small Bank, lei: 5299000SMALLBANK0025, type: credit_institution, member_state: DE, contact: {{name: A, email: a@b.example, phone: '+49 1'}}{extra}}}"
        ))
        .unwrap()
    };
    for (extra, applies) in [
        ("", true),
        (", microenterprise: true", false),
        (", simplified_framework: true", false),
    ] {
        let e = entity(extra);
        assert_eq!(e.recurring_rule_applies(), applies, "{extra}");
        assert_eq!(
            assess(&cands, now, e.recurring_rule_applies())
                .unwrap()
                .0
                .is_empty(),
            !applies
        );
    }
}

/// Shares of the same clients add up past the total: capped, not refused; durations that add
/// up past the calendar leave that group unassessed, named, without failing the others.
#[test]
fn sums_that_overflow_are_capped_or_reported_never_fatal() {
    let now = t("2026-11-30T12:00:00Z");
    let mut a = candidate(
        "INC-1",
        "2026-10-03T10:00:00Z",
        "Expired TLS certificate",
        "DE",
    );
    let mut b = candidate(
        "INC-2",
        "2026-11-02T10:00:00Z",
        "Expired TLS certificate",
        "AT",
    );
    for c in [&mut a, &mut b] {
        c.assessment.clients = Some(plumb_incident::classify::Share {
            affected: 600,
            total: 1000,
        });
    }
    let (groups, failed) = assess(&[a.clone(), b.clone()], now, true).unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        groups[0].assessment.clients.map(|s| (s.affected, s.total)),
        Some((1000, 1000))
    );
    // Another group whose durations cannot be added.
    let mut c = candidate("INC-3", "2026-10-05T10:00:00Z", "Disk full", "DE");
    let mut d = candidate("INC-4", "2026-11-05T10:00:00Z", "Disk full", "AT");
    c.classification.duration_minutes = i64::MAX;
    d.classification.duration_minutes = i64::MAX;
    let (groups, failed) = assess(&[a, b, c, d], now, true).unwrap();
    assert_eq!(groups.len(), 1, "the good group is still assessed");
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0].incidents,
        vec!["INC-3".to_string(), "INC-4".to_string()]
    );
    assert!(
        failed[0].reason.contains("calendar"),
        "{}",
        failed[0].reason
    );
}
