//! `POST /v1/gate` and `POST /v1/model/check` against a real server: the decision matches a
//! local evaluation of the same inputs, recording stores the decision with its inputs as
//! blobs, recorders stay inside their systems, and bad requests are refused with reasons.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use serde_json::{Value, json};

use plumb_gate::samples::{approvals, change, junit, lcov, sarif, sbom, trivy};
use plumb_server::tokens::Role;

mod common;

use common::Server;

fn post(srv: &Server, path: &str, token: &str, ct: &str, body: &[u8]) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let r = plumb_testkit::http(
        srv.addr,
        "POST",
        path,
        &[("Authorization", &auth), ("Content-Type", ct)],
        body,
    );
    let v = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    (r.status, v)
}

fn input(kind: &str, name: &str, text: &str) -> Value {
    json!({"kind": kind, "name": name, "content": STANDARD.encode(text)})
}

/// A change that passes the baseline, for the system `payments`.
fn clean_request(record: bool) -> Value {
    json!({
        "config": {"system": "payments", "criticality": "critical"},
        "inputs": [
            input("sast", "reports/bandit.sarif", &sarif("note", "B101")),
            input("tests", "junit.xml", &junit(0)),
            input("coverage", "lcov.info", &lcov(90, 100)),
            input("sbom", "sbom.json", &sbom()),
            input("vulns", "trivy.json", &trivy(Utc::now(), 0, "MEDIUM")),
            input("secrets", "gitleaks.json", "[]"),
            input("change", "change.json", &change("production", true)),
            input("approvals", "approvals.json", &approvals(false)),
        ],
        "record": record,
        "run": "ci-77",
    })
}

#[test]
fn gate_evaluates_and_records_with_inputs_as_blobs() {
    let srv = Server::start();
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let body = serde_json::to_vec(&clean_request(true)).unwrap();
    let (status, v) = post(&srv, "/v1/gate", &rec, "application/json", &body);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"], "pass", "{v}");
    let index = v["recorded_entry"].as_u64().expect("recorded");

    // Failing tests turn the same request into a deny, with the rule named.
    let mut failing = clean_request(false);
    failing["inputs"][1] = input("tests", "junit.xml", &junit(2));
    let (status, d) = post(
        &srv,
        "/v1/gate",
        &rec,
        "application/json",
        &serde_json::to_vec(&failing).unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(d["result"], "deny");
    assert!(d["recorded_entry"].is_null(), "not asked to record");
    assert!(
        d["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"].as_str().unwrap().contains("TEST")),
        "{d}"
    );

    let (store, _keep) = srv.stop();
    let mut l = plumb_ledger::Ledger::open(&store).unwrap();
    let e = plumb_ledger::entry::LogEntry::parse(&l.entry(index).unwrap().bytes).unwrap();
    let st = e.statement().unwrap();
    assert_eq!(st.predicate_type, plumb_gate::decision::PREDICATE_TYPE);
    assert_eq!(st.predicate["result"], "pass");
    assert_eq!(e.system.as_deref(), Some("payments"));
    assert_eq!(e.run.as_deref(), Some("ci-77"));
    let names: Vec<&str> = e.blobs.iter().map(|b| b.name.as_str()).collect();
    assert!(
        names.contains(&"bandit.sarif"),
        "paths are cut to names: {names:?}"
    );
    assert_eq!(e.blobs.len(), 8);
    for b in &e.blobs {
        l.blobs().check(&b.digest).unwrap();
    }
    assert!(st.subject[0].name.starts_with("commit "));
}

#[test]
fn gate_requests_are_checked_before_evaluation() {
    let srv = Server::start();
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"config": {"system": "cards"}}), 403, "may write to"),
        (json!({"config": {}}), 403, "must name their system"),
        (
            json!({"config": {"system": "payments", "policies": ["/etc/passwd"]}}),
            400,
            "send their contents",
        ),
        (
            json!({"config": {"system": "payments"}, "inputs": [{"kind": "x", "name": "a", "content": ""}]}),
            400,
            "unknown kind",
        ),
        (
            json!({"config": {"system": "payments"}, "inputs": [{"kind": "sast", "name": "a", "content": "%%"}]}),
            400,
            "not base64",
        ),
        (
            json!({"config": {"system": "payments"}, "now": "2020-01-01T00:00:00Z"}),
            400,
            "unknown field",
        ),
        (
            json!({"config": {"system": "payments", "criticality": "extreme"}}),
            400,
            "criticality",
        ),
    ];
    for (body, status, says) in cases {
        let (s, v) = post(
            &srv,
            "/v1/gate",
            &rec,
            "application/json",
            &serde_json::to_vec(&body).unwrap(),
        );
        assert_eq!(s, status, "{body}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(says), "{body}: {v}");
    }
    let (s, _) = post(&srv, "/v1/gate", &rec, "application/json", b"{\"config\":");
    assert_eq!(s, 400);
    let (s, _) = post(&srv, "/v1/gate", &rec, "text/plain", b"{}");
    assert_eq!(s, 415);
    // A malformed input is a decision, not a request error: the gate fails closed.
    let bad = json!({"config": {"system": "payments"}, "inputs": [input("sast", "x.sarif", "{\"version\":\"1.0\"")]});
    let (s, v) = post(
        &srv,
        "/v1/gate",
        &rec,
        "application/json",
        &serde_json::to_vec(&bad).unwrap(),
    );
    assert_eq!(s, 200);
    assert_eq!(v["result"], "error", "{v}");
    srv.stop();
}

#[test]
fn model_check_reports_and_records() {
    let srv = Server::start();
    let (admin, _) = srv.token(Role::Admin, &[]);
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let model = include_str!("../../../examples/model/bank.yaml");
    let (s, v) = post(
        &srv,
        "/v1/model/check?name=bank.yaml&record=true",
        &admin,
        "application/yaml",
        model.as_bytes(),
    );
    assert_eq!(s, 200, "{v}");
    let local = plumb_model::check::check(
        &plumb_model::read_bytes("bank.yaml", "yaml", model.as_bytes()).unwrap(),
        plumb_model::check::Options {
            concentration_threshold: 0.5,
        },
    );
    assert_eq!(v["report"], serde_json::to_value(&local).unwrap());
    assert_eq!(v["ok"], local.ok());
    let index = v["recorded_entry"].as_u64().unwrap();

    // A model that breaks a rule: a relationship ArchiMate does not allow.
    let broken = "id: m\nname: broken\nelements:\n  - {id: a, type: Node, name: A}\n  - {id: b, type: BusinessActor, name: B}\nrelationships:\n  - {id: r, type: Realization, source: a, target: b}\n";
    let (s, v) = post(
        &srv,
        "/v1/model/check",
        &admin,
        "application/yaml",
        broken.as_bytes(),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ok"], false, "{v}");

    for (path, token, ct, body, status) in [
        (
            "/v1/model/check",
            &admin,
            "text/plain",
            model.as_bytes(),
            415,
        ),
        (
            "/v1/model/check",
            &admin,
            "application/yaml",
            &b"elements: ["[..],
            400,
        ),
        (
            "/v1/model/check",
            &admin,
            "application/xml",
            &b"<!DOCTYPE x [<!ENTITY a \"b\">]><x/>"[..],
            400,
        ),
        (
            "/v1/model/check?concentration_threshold=2",
            &admin,
            "application/yaml",
            model.as_bytes(),
            400,
        ),
        (
            "/v1/model/check?record=true&system=cards",
            &rec,
            "application/yaml",
            model.as_bytes(),
            403,
        ),
    ] {
        let (s, v) = post(&srv, path, token, ct, body);
        assert_eq!(s, status, "{path} {ct}: {v}");
        assert!(v["detail"].is_string(), "{v}");
    }
    let (store, _keep) = srv.stop();
    let mut l = plumb_ledger::Ledger::open(&store).unwrap();
    let e = plumb_ledger::entry::LogEntry::parse(&l.entry(index).unwrap().bytes).unwrap();
    assert_eq!(
        e.statement().unwrap().predicate_type,
        plumb_model::check::PREDICATE_TYPE
    );
    assert_eq!(e.blobs[0].name, "bank.yaml");
}
