//! `POST /v1/gate` and `POST /v1/model/check` against a real server: the decision matches a
//! local evaluation of the same inputs, recording stores the decision with its inputs and the
//! configuration as blobs, the server's configuration for the system decides (never the
//! client's), recorders stay inside their systems, and bad requests are refused with reasons.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use plumb_gate::samples::junit;
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
    common::gate_body("payments", 0, record)
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
    // Without a configuration directory the built-in default decided: every rule, critical.
    assert_eq!(v["criticality"], "critical", "{v}");
    assert_eq!(v["configuration"]["held_by"], "server", "{v}");
    assert_eq!(v["configuration"]["source"], "built-in default", "{v}");
    assert_eq!(v["disabled_rules"], json!([]), "{v}");
    assert!(v["signer"].as_str().is_some_and(|k| !k.is_empty()), "{v}");

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
    // Eight inputs and the configuration that judged them.
    assert_eq!(e.blobs.len(), 9, "{names:?}");
    assert!(
        names.contains(&plumb_gate::record::CONFIG_NAME),
        "{names:?}"
    );
    for b in &e.blobs {
        l.blobs().check(&b.digest).unwrap();
    }
    assert!(st.subject[0].name.starts_with("commit "));
}

/// The configuration directory of the test below: payments is held to 95 % coverage, has one
/// baseline rule switched off, a bank policy and one executive for break-glass.
fn gate_config_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("payments.yaml"),
        "criticality: important\ncoverage_threshold: 95\nexecutives: [cto-maria]\n\
         rules: {DORA-SOD-002: {enabled: false}}\npolicies: [bank.rego]\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("bank.rego"),
        "package bank\nimport rego.v1\n\
         deny contains v if { input.change.environment == \"production\"; \
         v := {\"id\": \"BANK-PROD-001\", \"msg\": \"production needs the bank's sign-off\"} }\n",
    )
    .unwrap();
    d
}

#[test]
fn the_servers_configuration_decides_not_the_clients() {
    let dir = gate_config_dir();
    let held = plumb_gate::held::HeldConfigs::load(dir.path()).unwrap();
    let srv = Server::start_with(|c| c.gate_config = Some(dir.path().to_path_buf()));
    let (rec, _) = srv.token(Role::Recorder, &["payments", "cards"]);
    let gate = |body: &Value| {
        let (s, v) = post(
            &srv,
            "/v1/gate",
            &rec,
            "application/json",
            &serde_json::to_vec(body).unwrap(),
        );
        assert_eq!(s, 200, "{v}");
        v
    };
    // 90 % coverage passes the built-in default but not payments' 95 %; the bank's policy
    // applies; the switched-off rule is named; the configuration is the server's file.
    let v = gate(&clean_request(true));
    assert_eq!(v["result"], "deny", "{v}");
    let ids: Vec<&str> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["id"].as_str())
        .collect();
    assert!(ids.contains(&"DORA-COV-001"), "{ids:?}");
    assert!(ids.contains(&"BANK-PROD-001"), "{ids:?}");
    assert_eq!(v["criticality"], "important");
    assert_eq!(v["disabled_rules"], json!(["DORA-SOD-002"]));
    assert_eq!(v["configuration"]["held_by"], "server");
    assert_eq!(v["configuration"]["source"], "payments.yaml");
    assert_eq!(
        v["configuration"]["digest"],
        held.for_system("payments").origin.digest
    );
    let index = v["recorded_entry"].as_u64().unwrap();

    // cards has no file of its own: the built-in default, under which the same inputs pass.
    let mut cards = clean_request(false);
    cards["system"] = json!("cards");
    let v = gate(&cards);
    assert_eq!(v["result"], "pass", "{v}");
    assert_eq!(v["configuration"]["source"], "built-in default");
    assert_eq!(v["criticality"], "critical");

    // Break-glass is approved only by payments' own executives, not by one the client names.
    // (A refused break-glass is an error decision, which denies.)
    for (approver, outcome) in [("cto-maria", "override"), ("the-pipeline", "error")] {
        let mut bg = clean_request(false);
        bg["break_glass"] = json!({"justification": "INC-1 outage: hotfix", "approver": approver});
        let v = gate(&bg);
        assert_eq!(v["result"], outcome, "{approver}: {v}");
    }

    // The record carries the configuration and the policy that judged, as blobs.
    let (store, _keep) = srv.stop();
    let mut l = plumb_ledger::Ledger::open(&store).unwrap();
    let e = plumb_ledger::entry::LogEntry::parse(&l.entry(index).unwrap().bytes).unwrap();
    assert_eq!(
        e.statement().unwrap().predicate["configuration"]["source"],
        "payments.yaml"
    );
    let blob = |name: &str| {
        let b = e.blobs.iter().find(|b| b.name == name).unwrap();
        l.blobs().get(&b.digest).unwrap()
    };
    let cfg: Value = serde_json::from_slice(&blob(plumb_gate::record::CONFIG_NAME)).unwrap();
    assert_eq!(cfg["coverage_threshold"], json!(95.0));
    assert!(
        String::from_utf8(blob("bank.rego"))
            .unwrap()
            .contains("BANK-PROD-001")
    );
}

#[test]
fn gate_requests_are_checked_before_evaluation() {
    let srv = Server::start();
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"system": "cards"}), 403, "may write to"),
        (json!({}), 403, "must name their system"),
        // Anything that says how strict the gate is belongs to the server.
        (
            json!({"system": "payments", "config": {"criticality": "none"}}),
            400,
            "the server holds",
        ),
        (
            json!({"system": "payments", "config": {"rules": {"DORA-TEST-01": {"enabled": false}}}}),
            400,
            "the server holds",
        ),
        (
            json!({"system": "payments", "policies": [{"name": "p.rego", "text": "package x"}]}),
            400,
            "the server holds",
        ),
        (
            json!({"system": "payments", "waivers": [{"name": "w.yaml", "text": "waivers: []"}]}),
            400,
            "the server holds",
        ),
        (
            json!({"system": "payments", "inputs": [{"kind": "x", "name": "a", "content": ""}]}),
            400,
            "unknown kind",
        ),
        (
            json!({"system": "payments", "inputs": [{"kind": "sast", "name": "a", "content": "%%"}]}),
            400,
            "not base64",
        ),
        (
            json!({"system": "payments", "now": "2020-01-01T00:00:00Z"}),
            400,
            "unknown field",
        ),
        (
            json!({"system": "payments", "environment": "prod\nuction"}),
            400,
            "environment",
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
    let (s, _) = post(&srv, "/v1/gate", &rec, "application/json", b"{\"system\":");
    assert_eq!(s, 400);
    let (s, _) = post(&srv, "/v1/gate", &rec, "text/plain", b"{}");
    assert_eq!(s, 415);
    // A malformed input is a decision, not a request error: the gate fails closed.
    let bad =
        json!({"system": "payments", "inputs": [input("sast", "x.sarif", "{\"version\":\"1.0\"")]});
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
