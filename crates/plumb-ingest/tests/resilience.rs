//! Resilience test results: the corpus's Chaos Toolkit journal and LitmusChaos engines with the
//! outcomes SOURCES.md gives them, Plumbline's drill record, and hostile inputs.

use plumb_ingest::resilience::{TestOutcome, read};

#[test]
fn corpus_results_get_their_outcomes() {
    let Some(root) = plumb_testkit::corpus() else {
        return;
    };
    let get = |rel: &str| read(rel, &std::fs::read(root.join(rel)).unwrap());
    // A failed, deviated journal is failed, never passed; its naive times are read as UTC.
    let t = get("chaostoolkit/chaostoolkit-reliably/journal.json").unwrap();
    assert_eq!(t.outcome, TestOutcome::Failed);
    assert_eq!(t.started_at.as_deref(), Some("2021-06-02T15:18:44Z"));
    assert!(
        t.detail.iter().any(|d| d.contains("deviated")),
        "{:?}",
        t.detail
    );
    // Chaos engines without a status are plans, not results.
    for f in [
        "chaos/litmus/mocks__chaos_engine.yaml",
        "chaos/litmus/sock-shop__catalogue-cpu-hog.yaml",
    ] {
        assert_eq!(get(f).unwrap().outcome, TestOutcome::Planned, "{f}");
    }
    let e = get("chaos/litmus/mocks__wrong_type.yaml").unwrap_err();
    assert!(e.to_string().contains("\"Unknown\""), "{e}");
}

#[test]
fn drills_results_and_hostile_inputs() {
    let drill = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/resilience/failover-drill.yaml"),
    )
    .unwrap();
    let t = read("drill.yaml", &drill).unwrap();
    assert_eq!(
        (t.outcome, t.recovery_minutes, t.systems.as_slice()),
        (
            TestOutcome::Passed,
            Some(42.0),
            &["payments".to_string()][..]
        )
    );
    let result = b"apiVersion: litmuschaos.io/v1alpha1\nkind: ChaosResult\nmetadata: {name: r}\nstatus: {experimentStatus: {verdict: Pass}}\n";
    assert_eq!(read("r.yaml", result).unwrap().outcome, TestOutcome::Passed);
    let failed = b"apiVersion: litmuschaos.io/v1alpha1\nkind: ChaosResult\nmetadata: {name: r}\nstatus: {experimentStatus: {verdict: Fail}}\n";
    assert_eq!(read("r.yaml", failed).unwrap().outcome, TestOutcome::Failed);
    // An engine with one experiment passed and one still awaited is not finished.
    let running = b"apiVersion: litmuschaos.io/v1alpha1\nkind: ChaosEngine\nmetadata: {name: e}\nstatus: {experiments: [{verdict: Pass}, {verdict: Awaited}]}\n";
    assert_eq!(
        read("e.yaml", running).unwrap().outcome,
        TestOutcome::Planned
    );
    for (bytes, words) in [
        (&b"{\"chaoslib-version\": \"1.0\", \"experiment\": {}}"[..], "no `status`"),
        (b"{\"chaoslib-version\": \"1.0\", \"experiment\": {}, \"status\": \"exploded\", \"deviated\": false}", "not one Chaos Toolkit writes"),
        (b"{\"chaoslib-version\": \"1.0\", \"experiment\": {}, \"status\": \"completed\", \"deviated\": false}", "no steady state verified"),
        (b"{\"chaoslib-version\": \"1.0\", \"experiment\": {}, \"status\": \"completed\"}", "deviated"),
        (b"apiVersion: litmuschaos.io/v1alpha1\nkind: ChaosResult\nstatus: {experimentStatus: {verdict: Maybe}}\n", "not a LitmusChaos verdict"),
        (b"kind: drill\ntitle: t\nstarted_at: '2026-01-02T00:00:00Z'\nended_at: '2026-01-01T00:00:00Z'\noutcome: passed\n", "before started_at"),
        (b"kind: drill\ntitle: t\nstarted_at: '2026-01-01T00:00:00Z'\nended_at: '2026-01-02T00:00:00Z'\noutcome: passed\nrecovery_minutes: -3\n", "not negative"),
        (b"kind: drill\ntitle: t\nstarted_at: yesterday\nended_at: '2026-01-02T00:00:00Z'\noutcome: passed\n", "RFC 3339"),
        (b"kind: drill\ntitle: t\noutcome: great\n", "not a drill record"),
        (b"{\"something\": 1}", "not a recognised resilience test"),
        (b"{\"chaoslib-version\": ", "JSON"),
    ] {
        let e = read("x", bytes).unwrap_err().to_string();
        assert!(e.contains(words), "{:?}: {e}", String::from_utf8_lossy(bytes));
    }
}
