//! The watch's pure parts: Prometheus answers from the corpus with the outcomes SOURCES.md
//! gives them, hostile answers, each measurement judged as Argo Rollouts' table says, the
//! limits, and the verdict. The loop against a real Prometheus is `plumb-cli/tests/watch.rs`.

use plumb_records::verification::{Measurement, Phase, SeriesValue};
use plumb_resilience::watch::config::WatchConfig;
use plumb_resilience::watch::judge::{assess, ceiling, measure};
use plumb_resilience::watch::prometheus::{Answer, parse};

#[test]
fn corpus_answers_get_their_outcomes() {
    let Some(root) = plumb_testkit::corpus() else {
        return;
    };
    let get = |rel: &str| parse(&std::fs::read(root.join("prometheus-api").join(rel)).unwrap());
    // No series: no data, not zero.
    assert_eq!(get("jaeger/empty_response.json").unwrap().values, vec![]);
    // A range answer: the last sample of the series, the string value read as a float.
    let a = get("jaeger/service_datapoint_response.json").unwrap();
    assert_eq!(a.values.len(), 1);
    assert_eq!(a.values[0].value, 9223372036854.0);
    assert_eq!(a.values[0].labels, "{service_name=\"emailservice\"}");
    // Two series of an instant vector.
    let a = get("trickster/alb_tsm_correctness__d1_vector.json").unwrap();
    assert_eq!(
        a.values.iter().map(|v| v.value).collect::<Vec<_>>(),
        vec![1.0, 1.0]
    );
    // The undocumented `warning` status is refused, naming it and keeping the warnings.
    let e = get("jaeger/warning_response.json").unwrap_err();
    assert!(
        e.contains("\"warning\"") && e.contains("warning0") && e.contains("warning1"),
        "{e}"
    );
    // Unrendered templates: a value that is not a number, and text that is not JSON.
    let e = get("trickster/alb_cache__c1_vector.json.tmpl").unwrap_err();
    assert!(e.contains("\"%s\" is not a number"), "{e}");
    let e = get("trickster/alb_cache__c2_prom_range.json.tmpl").unwrap_err();
    assert!(e.contains("not JSON") && e.contains("line"), "{e}");
}

#[test]
fn hostile_answers_are_refused_with_the_reason() {
    for (body, words) in [
        (&br#"{"status":"error","errorType":"bad_data","error":"parse error at char 4"}"#[..], "bad_data"),
        (br#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#, "vector or scalar"),
        (br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1]}]}}"#, "pair"),
        (br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"2"]}]}}"#, "label"),
        (br#"{"status":"success","data":{"resultType":"vector"}}"#, "data.result"),
        (br#"{"data":{}}"#, "no `status`"),
        (br#"[1,2"#, "not JSON"),
    ] {
        let e = parse(body).unwrap_err();
        assert!(e.contains(words), "{}: {e}", String::from_utf8_lossy(body));
    }
    // A scalar answer is one value without labels.
    let a = parse(br#"{"status":"success","data":{"resultType":"scalar","result":[1,"0.25"]}}"#)
        .unwrap();
    assert_eq!(
        a.values,
        vec![SeriesValue {
            labels: String::new(),
            value: 0.25
        }]
    );
}

fn config(extra: &str, query: &str) -> plumb_resilience::watch::config::SystemWatch {
    let yaml = format!(
        "version: 1\nprometheus: {{url: 'http://127.0.0.1:9090'}}\nsystems:\n  payments:\n    count: 3\n{extra}    queries:\n      - {{name: q, query: up, {query}}}\n"
    );
    WatchConfig::parse(yaml.as_bytes()).unwrap().systems["payments"].clone()
}

fn answer(v: &[f64]) -> Result<Answer, String> {
    Ok(Answer {
        values: v
            .iter()
            .map(|x| SeriesValue {
                labels: String::new(),
                value: *x,
            })
            .collect(),
        warnings: vec![],
    })
}

fn phases(
    w: &plumb_resilience::watch::config::SystemWatch,
    vals: &[Result<Answer, String>],
) -> Vec<Phase> {
    vals.iter()
        .map(|a| measure(&w.queries[0], None, "t".into(), a.clone()).phase)
        .collect()
}

#[test]
fn measurements_follow_the_argo_table() {
    use Phase::*;
    // Both conditions: failed, successful, or neither (inconclusive).
    let both = config("", "success: '< 0.05', failure: '>= 0.2'");
    assert_eq!(
        phases(&both, &[answer(&[0.3]), answer(&[0.01]), answer(&[0.1])]),
        vec![Failed, Successful, Inconclusive]
    );
    // Success only: failed when it does not hold. Failure only: successful when it does not.
    let success = config("", "success: '< 0.05'");
    assert_eq!(phases(&success, &[answer(&[0.1])]), vec![Failed]);
    let failure = config("", "failure: '>= 0.2'");
    assert_eq!(phases(&failure, &[answer(&[0.1])]), vec![Successful]);
    // No data, an error, NaN: errors, never successes.
    assert_eq!(
        phases(
            &both,
            &[answer(&[]), Err("unreachable".into()), answer(&[f64::NAN])]
        ),
        vec![Error, Error, Error]
    );
    // Several series: one failing fails the measurement.
    assert_eq!(phases(&both, &[answer(&[0.01, 0.5])]), vec![Failed]);
    // The comparison: above baseline × max_ratio + slack fails, whatever the conditions say.
    let cmp = config(
        "",
        "success: '< 0.05', compare: {max_ratio: 2, slack: 0.001}",
    );
    let c = ceiling(&cmp.queries[0], Some(0.01));
    assert_eq!(c, Some(0.021));
    let m = measure(&cmp.queries[0], c, "t".into(), answer(&[0.03]));
    assert_eq!(m.phase, Failed);
    assert!(m.message.unwrap().contains("before the deployment"));
}

fn ms(ps: &[Phase]) -> Vec<Measurement> {
    ps.iter()
        .map(|p| Measurement {
            at: "t".into(),
            values: vec![],
            phase: *p,
            message: Some(format!("{p:?}")),
        })
        .collect()
}

#[test]
fn limits_decide_queries() {
    use Phase::*;
    let w = config(
        "    failure_limit: 1\n    consecutive_error_limit: 1\n",
        "success: '< 1'",
    );
    assert_eq!(assess(&w, &ms(&[Successful])), None);
    assert_eq!(assess(&w, &ms(&[Failed])), None, "one failure is tolerated");
    assert_eq!(
        assess(&w, &ms(&[Failed, Successful, Failed])).unwrap().0,
        Failed
    );
    assert_eq!(assess(&w, &ms(&[Error, Error])).unwrap().0, Inconclusive);
    assert_eq!(
        assess(&w, &ms(&[Error, Successful])),
        None,
        "errors must be consecutive"
    );
    assert_eq!(
        assess(&w, &ms(&[Successful, Failed, Successful]))
            .unwrap()
            .0,
        Successful
    );
    // Count reached with no success: inconclusive, never successful.
    let w = config("    consecutive_error_limit: 5\n", "success: '< 1'");
    let (p, why) = assess(&w, &ms(&[Error, Error, Error])).unwrap();
    assert_eq!(p, Inconclusive);
    assert!(why.contains("no successful measurement"), "{why}");
}

#[test]
fn non_finite_values_are_never_stored_and_the_record_reads_back() {
    use plumb_records::Record;
    use plumb_records::verification::{QueryResult, Verification};
    let w = config("", "success: '< 0.05', failure: '>= 0.2'");
    let series = |l: &str, v: f64| SeriesValue {
        labels: l.into(),
        value: v,
    };
    // An idle pod (NaN) beside a failing one: the failure is not hidden.
    let a = Ok(Answer {
        values: vec![
            series("{pod=\"a\"}", f64::NAN),
            series("{pod=\"b\"}", 0.5),
            series("{pod=\"c\"}", f64::INFINITY),
        ],
        warnings: vec![],
    });
    let m = measure(&w.queries[0], None, "t".into(), a);
    assert_eq!(m.phase, Phase::Failed);
    assert_eq!(m.values, vec![series("{pod=\"b\"}", 0.5)]);
    assert!(
        m.message
            .as_deref()
            .unwrap()
            .contains("2 series without a number"),
        "{m:?}"
    );
    // The record with it is written and read back whole.
    let v = Verification {
        system: "payments".into(),
        environment: "production".into(),
        deployment: Some(3),
        source: "http://127.0.0.1:9090".into(),
        started_at: "2026-11-30T10:00:00.000Z".into(),
        ended_at: "2026-11-30T10:00:30.000Z".into(),
        verdict: Phase::Failed,
        reason: "r".into(),
        limits: None,
        queries: vec![QueryResult {
            name: "q".into(),
            query: "up".into(),
            success: None,
            failure: None,
            baseline: None,
            ceiling: None,
            phase: Phase::Failed,
            measurements: vec![m],
        }],
        rollback: vec![],
    };
    assert_eq!(Verification::from_predicate(&v.to_predicate()).unwrap(), v);
    // Many series: all judged, five kept, the message bounded.
    let many = Ok(Answer {
        values: (0..50)
            .map(|i| series(&format!("{{pod=\"{i}\",x=\"{}\"}}", "y".repeat(300)), 0.01))
            .collect(),
        warnings: vec!["w".repeat(5000)],
    });
    let m = measure(&w.queries[0], None, "t".into(), many);
    assert_eq!((m.phase, m.values.len()), (Phase::Successful, 5));
    assert!(m.values.iter().all(|v| v.labels.len() <= 204));
    assert!(m.message.unwrap().len() <= 404);
}

#[test]
fn configurations_that_could_not_be_recorded_or_would_leak_are_refused() {
    let parse = |extra: &str, url: &str| {
        WatchConfig::parse(
            format!("version: 1\nprometheus: {{url: '{url}'{extra}}}\nsystems: {{s: {{count: 200, queries: [{{name: a, query: up, success: '< 1'}}, {{name: b, query: up, success: '< 1'}}]}}}}\n").as_bytes(),
        )
    };
    let e = parse("", "http://127.0.0.1:9090").unwrap_err();
    assert!(e.contains("240"), "{e}");
    let ok = "version: 1\nprometheus: {url: 'URL'TOKEN}\nsystems: {s: {queries: [{name: a, query: up, success: '< 1'}]}}\n";
    for (url, token, words) in [
        ("https://user:pw@prom.bank", "", "no credentials"),
        ("https://prom.bank/?x=1", "", "no credentials"),
        ("http://prom.bank", ", bearer_token_env: T", "unencrypted"),
    ] {
        let e = WatchConfig::parse(ok.replace("URL", url).replace("TOKEN", token).as_bytes())
            .unwrap_err();
        assert!(e.contains(words), "{url}: {e}");
    }
    assert!(
        WatchConfig::parse(
            ok.replace("URL", "http://localhost:9090")
                .replace("TOKEN", ", bearer_token_env: T")
                .as_bytes()
        )
        .is_ok()
    );
}

#[test]
fn a_gate_configuration_can_carry_the_watch() {
    let gate = "system: payments\ncriticality: critical\nwatch:\n  version: 1\n  prometheus: {url: 'http://127.0.0.1:9090'}\n  systems: {payments: {queries: [{name: a, query: up, success: '< 1'}]}}\n";
    let c = WatchConfig::parse(gate.as_bytes()).unwrap();
    assert!(c.system("payments").is_ok());
    // The gate reads the same file and ignores the watch.
    let g = plumb_gate::GateConfig::parse("gate.yaml", gate).unwrap();
    assert_eq!(g.system.as_deref(), Some("payments"));
    // A gate configuration without a watch is not a watch configuration.
    let e = WatchConfig::parse(b"system: payments\n").unwrap_err();
    assert!(e.contains("not a watch configuration"), "{e}");
}
