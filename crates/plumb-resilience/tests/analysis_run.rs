//! Argo Rollouts AnalysisRuns from the corpus read as verifications with the outcomes
//! SOURCES.md gives them: successful, failed with its message, inconclusive, an error that is
//! not a failure, a terminated run that is not a pass, a run without status refused as in
//! progress, templates that are not results, unparseable YAML refused with its line, and
//! counters that do not add up reported.

use plumb_records::verification::Phase;
use plumb_resilience::watch::analysis_run::read;

#[test]
fn corpus_analysis_runs_get_their_outcomes() {
    let Some(root) = plumb_testkit::corpus() else {
        return;
    };
    let get = |rel: &str| {
        read(
            &std::fs::read(root.join("argo-rollouts").join(rel)).unwrap(),
            "payments",
            "production",
        )
    };
    let v = get("argo-cd/successfulAnalysisRun.yaml").unwrap();
    assert_eq!(v.verdict, Phase::Successful);
    assert_eq!(v.queries[0].name, "memory-usage");
    assert_eq!(
        v.queries[0].measurements[0].values[0].value,
        0.965324384787472
    );
    assert_eq!(v.queries[0].measurements[0].at, "2019-10-28T18:20:37Z");

    let v = get("argo-cd/failedAnalysisRunWithStatusMessage.yaml").unwrap();
    assert_eq!(v.verdict, Phase::Failed);
    assert!(v.reason.contains("Assessed as Failed"), "{}", v.reason);
    assert!(v.queries[0].failure.as_deref() == Some("len(result) > 0"));

    assert_eq!(
        get("argo-cd/inconclusiveAnalysisRun.yaml").unwrap().verdict,
        Phase::Inconclusive
    );

    let v = get("argo-cd/errorAnalysisRun.yaml").unwrap();
    assert_eq!(
        v.verdict,
        Phase::Inconclusive,
        "an error is not a verified failure"
    );
    assert!(v.reason.contains("could not be evaluated"), "{}", v.reason);

    let v = get("argo-cd/terminatedAnalysisRun.yaml").unwrap();
    assert_eq!(v.verdict, Phase::Inconclusive, "terminated is never a pass");
    assert!(v.reason.contains("run terminated"), "{}", v.reason);

    let e = get("argo-cd/noStatusAnalysisRun.yaml").unwrap_err();
    assert!(e.contains("no status"), "{e}");

    let e = get("argo-rollouts/examples__analysis-templates.yaml").unwrap_err();
    assert!(e.contains("not results"), "{e}");

    let e = get("argo-rollouts/expectedfailures__analysis-run-failfast.yaml").unwrap_err();
    assert!(e.contains("not valid YAML") && e.contains("line 19"), "{e}");

    let v = get("argo-rollouts/info__experiment-analysis__canary-analysis.yaml").unwrap();
    assert_eq!(v.verdict, Phase::Inconclusive);
    assert!(v.reason.contains("do not add up"), "{}", v.reason);
    assert_eq!(v.queries[0].measurements.len(), 8);
}

#[test]
fn hostile_runs_are_refused() {
    for (yaml, words) in [
        (&b"apiVersion: v1\nkind: Pod\n"[..], "not an Argo Rollouts AnalysisRun"),
        (b"apiVersion: argoproj.io/v1alpha1\nkind: AnalysisRun\nstatus: {phase: Running}\n", "not finished"),
        (b"apiVersion: argoproj.io/v1alpha1\nkind: AnalysisRun\nstatus: {phase: Successful, metricResults: [{phase: Successful}]}\n", "no `name`"),
        (b"\xff\xfe", "UTF-8"),
        (b"", "no document"),
    ] {
        let e = read(yaml, "payments", "production").unwrap_err();
        assert!(e.contains(words), "{}: {e}", String::from_utf8_lossy(yaml));
    }
}

#[test]
fn the_example_template_asks_the_verdict_route() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/argo-rollouts/analysis-template.yaml");
    let bytes = std::fs::read(p).unwrap();
    // It is a template, so not a result; and it parses.
    let e = read(&bytes, "payments", "production").unwrap_err();
    assert!(e.contains("AnalysisTemplate"), "{e}");
    let v: serde_json::Value = yaml_serde::from_slice(&bytes).unwrap();
    let web = &v["spec"]["metrics"][0]["provider"]["web"];
    assert!(
        web["url"]
            .as_str()
            .unwrap()
            .contains("/v1/verifications/latest?system=")
    );
    assert_eq!(web["jsonPath"], "{$.verdict}");
    assert_eq!(
        v["spec"]["metrics"][0]["successCondition"],
        "result == \"successful\""
    );
}
