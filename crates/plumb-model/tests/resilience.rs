//! Resilience status of each critical or important function of the example bank: no test, a
//! passed drill within the RTO, one over it, a stale one, a failed one. Determined by the inputs
//! and `now` only.

use chrono::{DateTime, Utc};
use plumb_model::resilience::{ResilienceTest, TestOutcome, status};

fn model() -> plumb_model::Model {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml");
    plumb_model::load(&p).expect("the example model")
}

fn now() -> DateTime<Utc> {
    "2026-11-30T12:00:00Z".parse().unwrap()
}

fn drill(
    systems: &[&str],
    ended: &str,
    outcome: TestOutcome,
    recovery: Option<f64>,
) -> ResilienceTest {
    ResilienceTest {
        source: "drill".into(),
        title: format!("drill of {}", systems.join(", ")),
        started_at: Some(ended.replace("T07", "T06")),
        ended_at: Some(ended.into()),
        outcome,
        recovery_minutes: recovery,
        systems: systems.iter().map(|s| s.to_string()).collect(),
        functions: vec![],
        run_by: None,
        detail: vec![],
    }
}

fn state_of(tests: &[(u64, ResilienceTest)], function: &str) -> &'static str {
    status(&model(), tests, now(), 365)
        .into_iter()
        .find(|s| s.name == function)
        .unwrap_or_else(|| panic!("no {function}"))
        .state
}

#[test]
fn every_critical_function_is_judged_against_its_tests() {
    let m = model();
    let all = status(&m, &[], now(), 365);
    assert_eq!(all.len(), 4, "{all:#?}");
    assert!(all.iter().all(|s| s.state == "no_test"));
    // Payments (RTO 2 h): a drill recovering in 42 min passes; 150 min is over the RTO.
    let ok = vec![(
        7,
        drill(
            &["payments"],
            "2026-11-12T07:10:00Z",
            TestOutcome::Passed,
            Some(42.0),
        ),
    )];
    assert_eq!(state_of(&ok, "Payments"), "ok");
    let slow = vec![(
        8,
        drill(
            &["payments"],
            "2026-11-12T07:10:00Z",
            TestOutcome::Passed,
            Some(150.0),
        ),
    )];
    assert_eq!(state_of(&slow, "Payments"), "over_rto");
    // Older than a year: stale. Failed with none passed: failed. Planned: not a test.
    let old = vec![(
        9,
        drill(
            &["payments"],
            "2025-10-01T07:00:00Z",
            TestOutcome::Passed,
            Some(30.0),
        ),
    )];
    assert_eq!(state_of(&old, "Payments"), "stale");
    let failed = vec![(
        10,
        drill(
            &["payments"],
            "2026-11-12T07:10:00Z",
            TestOutcome::Failed,
            None,
        ),
    )];
    assert_eq!(state_of(&failed, "Payments"), "failed");
    let planned = vec![(
        11,
        drill(
            &["payments"],
            "2026-11-12T07:10:00Z",
            TestOutcome::Planned,
            None,
        ),
    )];
    assert_eq!(state_of(&planned, "Payments"), "no_test");
    // A test dated after `now` does not count yet; the same inputs give the same answer.
    let future = vec![(
        12,
        drill(
            &["payments"],
            "2027-01-01T07:00:00Z",
            TestOutcome::Passed,
            Some(1.0),
        ),
    )];
    assert_eq!(state_of(&future, "Payments"), "no_test");
    assert_eq!(status(&m, &ok, now(), 365), status(&m, &ok, now(), 365));
    // A test of payments says nothing of the identity function unless it depends on payments.
    assert_ne!(state_of(&ok, "Identity and access"), "ok");
}

#[test]
fn the_model_check_reports_untested_functions_and_recoveries_over_the_rto() {
    let m = model();
    let opts = plumb_model::check::Options::default();
    // Without evidence the resilience rules say nothing: the model alone cannot tell.
    let plain = plumb_model::check::check(&m, opts);
    assert!(!plain.findings.iter().any(|f| f.id.starts_with("DORA-RES")));
    // Payments' drill took 150 min against an RTO of 2 h; nothing tested identity.
    let ev = plumb_model::resilience::Evidence {
        tests: vec![(
            8,
            drill(
                &["payments"],
                "2026-11-12T07:10:00Z",
                TestOutcome::Passed,
                Some(150.0),
            ),
        )],
        now: now(),
        max_age_days: 365,
    };
    let rep = plumb_model::check::check_with(&m, opts, Some(&ev));
    let about = |id: &str, el: &str| {
        rep.findings
            .iter()
            .any(|f| f.id == id && f.elements == vec![el.to_string()])
    };
    assert!(about("DORA-RES-002", "fn-payments"), "{:#?}", rep.findings);
    assert!(about("DORA-RES-001", "fn-identity"), "{:#?}", rep.findings);
    assert!(!about("DORA-RES-001", "fn-payments"));
    assert!(!rep.ok());
    // A drill within the RTO clears payments.
    let ev = plumb_model::resilience::Evidence {
        tests: vec![(
            9,
            drill(
                &["payments"],
                "2026-11-12T07:10:00Z",
                TestOutcome::Passed,
                Some(42.0),
            ),
        )],
        ..ev
    };
    let rep = plumb_model::check::check_with(&m, opts, Some(&ev));
    assert!(
        !rep.findings
            .iter()
            .any(|f| f.elements == vec!["fn-payments".to_string()] && f.id.starts_with("DORA-RES"))
    );
}
