//! Resilience tests in the ledger: what the store key recorded is read back as it was written;
//! a test signed by another trusted key (a pipeline's) is in the log but not believed; the
//! functions come from the model, and a test naming no system or an unknown one is refused.

use chrono::{DateTime, Utc};
use plumb_ledger::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use plumb_ledger::entry::Annotations;
use plumb_ledger::keys::KeyPair;
use plumb_ledger::statement::{Statement, Subject};
use plumb_ledger::{InitOptions, Ledger};
use plumb_records::Record;
use plumb_resilience::tests::{record, recorded, resolve};
use plumb_resilience::{ResilienceTest, TestOutcome};

fn now() -> DateTime<Utc> {
    "2026-11-30T12:00:00Z".parse().unwrap()
}

fn test(systems: &[&str]) -> ResilienceTest {
    ResilienceTest {
        source: "drill".into(),
        title: "failover".into(),
        started_at: Some("2026-11-12T06:00:00Z".into()),
        ended_at: Some("2026-11-12T07:00:00Z".into()),
        outcome: TestOutcome::Passed,
        recovery_minutes: Some(42.0),
        systems: systems.iter().map(|s| s.to_string()).collect(),
        functions: vec![],
        run_by: None,
        detail: vec![],
    }
}

#[test]
fn only_what_the_store_key_signed_is_believed() {
    let d = tempfile::tempdir().unwrap();
    let mut l = Ledger::init(&d.path().join("s"), InitOptions::default()).unwrap();
    let model = plumb_model::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml"),
    )
    .unwrap();
    let mut t = test(&["payments"]);
    resolve(&mut t, Some(&model)).unwrap();
    assert!(
        t.functions.contains(&"Payments".to_string()),
        "{:?}",
        t.functions
    );
    let i = record(&mut l, &t, "drill.yaml", b"drill", None, now()).unwrap();

    // A pipeline's key, trusted for ordinary evidence, signs a "passed" test of identity.
    let ci = KeyPair::generate("ci").unwrap();
    l.trust_key(ci.public()).unwrap();
    let forged = Statement::new(
        vec![Subject {
            name: "x".into(),
            digest: [("sha256".to_string(), "00".repeat(32))].into(),
        }],
        ResilienceTest::PREDICATE_TYPE,
        test(&["identity"]).to_predicate(),
    );
    let env = Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        &serde_json::to_vec(&forged).unwrap(),
        &ci,
    );
    let entry = l
        .prepare(
            &serde_json::to_vec(&env).unwrap(),
            Annotations::default(),
            now(),
        )
        .unwrap();
    l.append(&[entry]).unwrap();
    assert_eq!(l.size().unwrap(), 2);

    let got = recorded(&mut l).unwrap();
    assert_eq!(got, vec![(i, t)]);

    // Refusals.
    let e = resolve(&mut test(&[]), Some(&model))
        .unwrap_err()
        .to_string();
    assert!(e.contains("names no system"), "{e}");
    let e = resolve(&mut test(&["mainframe"]), Some(&model))
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"mainframe\"") && e.contains("payments"), "{e}");
}

fn deploy(l: &mut Ledger, env: &str, commit: &str) -> u64 {
    use plumb_records::deployment::Deployment;
    l.record(
        plumb_ledger::RecordRequest {
            subjects: vec![Subject {
                name: "d".into(),
                digest: [("gitCommit".to_string(), commit.to_string())].into(),
            }],
            predicate_type: Deployment::PREDICATE_TYPE.into(),
            predicate: Deployment::new(env).to_predicate(),
            system: Some("payments".into()),
            run: None,
            attachments: vec![],
        },
        now(),
    )
    .unwrap()
    .0
}

fn verify(l: &mut Ledger, deployment: u64, verdict: plumb_records::verification::Phase) -> u64 {
    let v = plumb_records::verification::Verification {
        system: "payments".into(),
        environment: "x".into(),
        deployment: Some(deployment),
        source: "s".into(),
        started_at: "a".into(),
        ended_at: "b".into(),
        verdict,
        reason: "r".into(),
        limits: None,
        queries: vec![],
        rollback: vec![],
    };
    plumb_resilience::watch::evidence::record_verification(l, &v, None, now()).unwrap()
}

#[test]
fn the_latest_verdict_is_of_the_latest_deployment_only() {
    use plumb_records::verification::Phase;
    use plumb_resilience::watch::evidence::latest;
    let d = tempfile::tempdir().unwrap();
    let mut l = Ledger::init(&d.path().join("s"), InitOptions::default()).unwrap();
    let a = "aaaaaaa111111111111111111111111111111111";
    // Staging's watch of commit A was successful: production's deployment of A is pending.
    let staging = deploy(&mut l, "staging", a);
    verify(&mut l, staging, Phase::Successful);
    let prod = deploy(&mut l, "production", a);
    let got = latest(&mut l, "payments", "production", Some("AAAAAAA1"))
        .unwrap()
        .unwrap();
    assert_eq!((got.deployment, got.verification.is_none()), (prod, true));
    let e = verify(&mut l, prod, Phase::Failed);
    let got = latest(&mut l, "payments", "production", None)
        .unwrap()
        .unwrap();
    assert_eq!(
        got.verification.map(|(i, v)| (i, v.verdict)),
        Some((e, Phase::Failed))
    );
    // Redeployed: the old verdict does not stand in for the new deployment.
    let again = deploy(&mut l, "production", a);
    let got = latest(&mut l, "payments", "production", Some(a))
        .unwrap()
        .unwrap();
    assert_eq!((got.deployment, got.verification.is_none()), (again, true));
    // No deployment of that commit, a prefix too short to name one: none.
    assert!(
        latest(&mut l, "payments", "production", Some("bbbbbbb"))
            .unwrap()
            .is_none()
    );
    assert!(
        latest(&mut l, "payments", "production", Some("aaaa"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_run_test_must_say_when() {
    let mut t = test(&["payments"]);
    t.started_at = None;
    t.ended_at = None;
    let e = resolve(&mut t, None).unwrap_err().to_string();
    assert!(e.contains("--ended-at"), "{e}");
    t.outcome = TestOutcome::Planned;
    assert!(resolve(&mut t, None).is_ok());
}
