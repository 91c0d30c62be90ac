//! `plumb watch` against a real Prometheus (Debian's, started here) scraping an exporter whose
//! error ratio the test sets: a healthy deployment passes; a degraded one fails, is rolled back
//! by a script that records it was called, and opens a linked incident, all in a ledger that
//! verifies; with Prometheus stopped the watch is inconclusive, never successful.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use plumb_testkit::prometheus::{Exporter, Prometheus};

fn plumb(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("PLUMB_INCIDENT_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn deploy(store: &Path, dir: &Path, commit: &str) -> u64 {
    deploy_at(store, dir, commit, None)
}

fn deploy_at(store: &Path, dir: &Path, commit: &str, now: Option<&str>) -> u64 {
    let p = dir.join(format!("deploy-{commit}.json"));
    std::fs::write(&p, br#"{"environment": "production"}"#).unwrap();
    let subject = format!("gitCommit:{commit}");
    let mut args = vec![];
    if let Some(n) = now {
        args.extend(["--now", n]);
    }
    args.extend([
        "--format",
        "json",
        "record",
        "--subject",
        &subject,
        "--predicate-type",
        "https://plumbline.dev/attestation/deployment/v1",
        "--predicate",
        p.to_str().unwrap(),
        "--system",
        "payments",
    ]);
    let o = plumb(store, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    json(&o)["index"].as_u64().unwrap()
}

fn config(
    dir: &Path,
    name: &str,
    url: &str,
    extra: &str,
    query_extra: &str,
    rollback: &Path,
) -> String {
    let p = dir.join(name);
    std::fs::write(
        &p,
        format!(
            "version: 1\nprometheus: {{url: '{url}', timeout: 2s}}\nsystems:\n  payments:\n    interval: 1s\n    count: 3\n{extra}    queries:\n      - name: error-ratio\n        query: app_error_ratio{{job=\"app\"}}\n        success: '< 0.05'\n        failure: '>= 0.2'\n{query_extra}    rollback: ['{}']\n",
            rollback.display()
        ),
    )
    .unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn degraded_deployments_are_rolled_back_with_evidence_and_outages_are_never_a_pass() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    assert!(
        plumb(&store, &["init", "--origin", "bank.example/evidence"])
            .status
            .success()
    );
    let exporter = Exporter::start(0.01);
    let prom = Prometheus::start(exporter.port);
    let called = d.path().join("rollback-called.txt");
    let script = d.path().join("rollback.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$PLUMB_SYSTEM $PLUMB_DEPLOYMENT_ENTRY $PLUMB_COMMIT\" >> '{}'\necho rolled back\n",
            called.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    let incidents =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident/incident.yaml");
    let incidents = incidents.to_str().unwrap();
    let cfg = config(
        d.path(),
        "watch.yaml",
        &prom.url(),
        "    environment: production\n",
        "        compare: {max_ratio: 3, slack: 0.01}\n",
        &script,
    );

    // Healthy: three successful measurements, no rollback.
    let first = deploy(&store, d.path(), "1111111111111111111111111111111111111111");
    let o = plumb(
        &store,
        &[
            "--format",
            "json",
            "watch",
            "--config",
            &cfg,
            "--system",
            "payments",
            "--incidents",
            incidents,
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let v = json(&o);
    assert_eq!(v["verdict"], "successful", "{v}");
    assert_eq!(v["deployment"], first);
    assert_eq!(v["queries"][0]["measurements"], 3);
    assert!(!called.exists());
    flagger_proceeds(&store);

    // Degraded after the deployment: 0.1 is neither a success (< 0.05) nor a failure (>= 0.2)
    // by the conditions, but above three times the value before the deployment (0.01) plus the
    // slack; the first measurement fails (none tolerated), the rollback runs with the
    // deployment's context, is recorded as a rollback remedying it, and an incident is opened.
    let second = deploy(&store, d.path(), "2222222222222222222222222222222222222222");
    exporter.set(0.1);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let o = plumb(
        &store,
        &[
            "--format",
            "json",
            "watch",
            "--config",
            &cfg,
            "--system",
            "payments",
            "--incidents",
            incidents,
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let v = json(&o);
    assert_eq!(v["verdict"], "failed", "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("before the deployment"),
        "{v}"
    );
    assert_eq!(v["queries"][0]["baseline"], 0.01, "{v}");
    assert_eq!(v["deployment"], second);
    let calls = std::fs::read_to_string(&called).unwrap();
    assert_eq!(
        calls.trim(),
        format!("payments {second} 2222222222222222222222222222222222222222")
    );
    let rollback = v["rollback"]["entry"].as_u64().unwrap();
    assert_eq!(v["rollback"]["exit_code"], 0);
    let incident = v["incident"].as_str().unwrap().to_string();

    // The evidence: the verification with its samples, the rollback back to the first commit,
    // the incident linked to the deployment; the ledger verifies.
    let show = |i: u64| {
        json(&plumb(
            &store,
            &["--format", "json", "show", &i.to_string()],
        ))
    };
    let ver = show(v["entry"].as_u64().unwrap());
    let text = ver.to_string();
    assert!(
        text.contains("\"verdict\":\"failed\"") && text.contains("0.1"),
        "{text}"
    );
    let rb = show(rollback).to_string();
    assert!(
        rb.contains("\"change\":\"rollback\"") && rb.contains(&format!("\"remedies\":{second}")),
        "{rb}"
    );
    assert!(
        rb.contains("1111111111111111111111111111111111111111"),
        "back to the first commit: {rb}"
    );
    let inc = json(&plumb(
        &store,
        &[
            "--format", "json", "incident", "--config", incidents, "show", &incident,
        ],
    ));
    assert!(
        inc.to_string()
            .contains("2222222222222222222222222222222222222222"),
        "linked: {inc}"
    );
    assert!(plumb(&store, &["verify"]).status.success());
    verdicts_are_served(&store, rollback);

    // Prometheus stops: every measurement is an error; the watch is inconclusive, nothing is
    // rolled back.
    exporter.set(0.01);
    let url = prom.url();
    drop(prom);
    let cfg2 = config(
        d.path(),
        "watch2.yaml",
        &url,
        "    consecutive_error_limit: 1\n    incident: false\n",
        "",
        &script,
    );
    let o = plumb(
        &store,
        &[
            "--format", "json", "watch", "--config", &cfg2, "--system", "payments",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["verdict"], "inconclusive", "{v}");
    assert!(v["reason"].as_str().unwrap().contains("consecutive"), "{v}");
    assert!(v.get("rollback").is_none());
    assert_eq!(std::fs::read_to_string(&called).unwrap().lines().count(), 1);
}

#[test]
fn bad_configurations_are_refused_before_watching() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    assert!(plumb(&store, &["init"]).status.success());
    for (yaml, words) in [
        ("version: 2\nsystems: {}\n", "version 2"),
        (
            "version: 1\nsystems: {payments: {queries: []}}\n",
            "no Prometheus",
        ),
        (
            "version: 1\nprometheus: {url: 'http://x'}\nsystems: {payments: {queries: []}}\n",
            "1 to 20 queries",
        ),
        (
            "version: 1\nprometheus: {url: 'http://x'}\nsystems: {payments: {queries: [{name: a, query: up}]}}\n",
            "always pass",
        ),
        (
            "version: 1\nprometheus: {url: 'http://x'}\nsystems: {payments: {interval: 30, queries: [{name: a, query: up, success: '< 1'}]}}\n",
            "needs a unit",
        ),
        (
            "version: 1\nprometheus: {url: 'http://x'}\nsystems: {payments: {queries: [{name: a, query: up, success: '1'}]}}\n",
            "must start with",
        ),
        (
            "version: 1\nprometheus: {url: 'http://x', bearer_token: s3cret}\nsystems: {}\n",
            "unknown field",
        ),
        (
            "version: 1\nprometheus: {url: 'ftp://x'}\nsystems: {payments: {queries: [{name: a, query: up, success: '< 1'}]}}\n",
            "http(s) URL",
        ),
    ] {
        let p = d.path().join("w.yaml");
        std::fs::write(&p, yaml).unwrap();
        let o = plumb(
            &store,
            &[
                "watch",
                "--config",
                p.to_str().unwrap(),
                "--system",
                "payments",
                "--incidents",
                "x",
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{yaml}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(words), "{yaml}: {e}");
    }
    // A failed watch would open an incident: without its configuration, refused up front.
    let p = d.path().join("w.yaml");
    std::fs::write(&p, "version: 1\nprometheus: {url: 'http://127.0.0.1:9'}\nsystems: {payments: {queries: [{name: a, query: up, success: '< 1'}]}}\n").unwrap();
    let o = plumb(
        &store,
        &[
            "watch",
            "--config",
            p.to_str().unwrap(),
            "--system",
            "payments",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--incidents"));
    let o = plumb(
        &store,
        &[
            "watch",
            "--config",
            p.to_str().unwrap(),
            "--system",
            "ledger",
            "--incidents",
            "x",
        ],
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("configured: payments"));
}

#[test]
fn an_argo_analysis_run_is_recorded_as_the_verification_of_the_deployment() {
    let Some(corpus) = plumb_testkit::corpus() else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    assert!(plumb(&store, &["init"]).status.success());
    // A deployment recorded today is not the one this 2019 analysis belongs to.
    deploy(&store, d.path(), "4444444444444444444444444444444444444444");
    let run = corpus.join("argo-rollouts/argo-cd/failedAnalysisRunWithStatusMessage.yaml");
    let o = plumb(
        &store,
        &[
            "watch",
            "--analysis-run",
            run.to_str().unwrap(),
            "--system",
            "payments",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("more than an hour before"));
    let dep = deploy_at(
        &store,
        d.path(),
        "3333333333333333333333333333333333333333",
        Some("2019-10-28T18:20:00Z"),
    );
    let o = plumb(
        &store,
        &[
            "--format",
            "json",
            "watch",
            "--analysis-run",
            run.to_str().unwrap(),
            "--system",
            "payments",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(
        (v["verdict"].as_str(), v["deployment"].as_u64()),
        (Some("failed"), Some(dep)),
        "{v}"
    );
    let run = corpus.join("argo-rollouts/argo-cd/noStatusAnalysisRun.yaml");
    let o = plumb(
        &store,
        &[
            "watch",
            "--analysis-run",
            run.to_str().unwrap(),
            "--system",
            "payments",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no status"));
}

fn token(store: &Path, args: &[&str]) -> String {
    plumb_testkit::plumb_token(env!("CARGO_BIN_EXE_plumb"), store, args)
}

fn serve(store: &Path) -> (plumb_testkit::KillOnDrop, std::net::SocketAddr) {
    plumb_testkit::plumb_serve(env!("CARGO_BIN_EXE_plumb"), store, &[])
}

/// What Flagger posts to a webhook of `kind` (gate or rollback), the token in its metadata
/// as Flagger cannot send headers: the status and the answer.
fn flagger(
    addr: std::net::SocketAddr,
    token: &str,
    kind: &str,
    commit: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut metadata = serde_json::json!({"system": "payments", "token": token});
    if let Some(c) = commit {
        metadata["commit"] = c.into();
    }
    let body = serde_json::json!({
        "name": "payments", "namespace": "prod", "phase": "Progressing",
        "checksum": "5d8f9c", "metadata": metadata,
    });
    let r = plumb_testkit::http(
        addr,
        "POST",
        &format!("/v1/flagger/{kind}"),
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    (r.status, r.json())
}

/// Flagger's hooks after a successful watch: proceed, do not roll back; and the example
/// Canary's webhooks, posted as Flagger posts them (with a real token), say the same.
fn flagger_proceeds(store: &Path) {
    let controller = token(store, &["--role", "controller", "--system", "payments"]);
    let (_server, addr) = serve(store);
    let (status, v) = flagger(addr, &controller, "gate", None);
    assert_eq!(
        (status, v["answer"].as_str()),
        (200, Some("proceed")),
        "{v}"
    );
    let (status, v) = flagger(addr, &controller, "rollback", None);
    assert_eq!((status, v["answer"].as_str()), (412, Some("keep")), "{v}");

    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/flagger/canary.yaml");
    let canary: serde_json::Value =
        yaml_serde::from_str(&std::fs::read_to_string(example).unwrap()).unwrap();
    let hooks = canary["spec"]["analysis"]["webhooks"].as_array().unwrap();
    let mut answers = vec![];
    for hook in hooks {
        let url = hook["url"].as_str().unwrap();
        let path = &url[url.find("/v1/").unwrap()..];
        let mut metadata = hook["metadata"].clone();
        metadata["token"] = controller.clone().into();
        let body = serde_json::json!({
            "name": canary["metadata"]["name"], "namespace": canary["metadata"]["namespace"],
            "phase": "Promoting", "checksum": "5d8f9c", "metadata": metadata,
        });
        let r = plumb_testkit::http(
            addr,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
        answers.push((hook["type"].as_str().unwrap().to_string(), r.status));
    }
    assert_eq!(
        answers,
        [("confirm-promotion".into(), 200), ("rollback".into(), 412)]
    );
}

fn verdicts_are_served(store: &Path, rollback: u64) {
    let payments = token(store, &["--role", "recorder", "--system", "payments"]);
    let ledger = token(store, &["--role", "recorder", "--system", "core-ledger"]);
    let controller = token(store, &["--role", "controller", "--system", "payments"]);
    let (server, addr) = serve(store);
    let get = |path: &str, token: &str| {
        let auth = format!("Bearer {token}");
        plumb_testkit::http(addr, "GET", path, &[("Authorization", &auth)], b"")
    };
    // The degraded deployment of commit 2222222 failed its watch.
    let v = get(
        "/v1/verifications/latest?system=payments&commit=2222222",
        &payments,
    )
    .json();
    assert_eq!(v["verdict"], "failed", "{v}");
    // The latest deployment is now the rollback (back to commit 1111111): not verified yet,
    // and the first deployment's successful verdict does not stand in for it.
    let v = get("/v1/verifications/latest?system=payments", &payments).json();
    assert_eq!(
        (v["verdict"].as_str(), v["deployment"].as_u64()),
        (Some("pending"), Some(rollback)),
        "{v}"
    );
    let v = get(
        "/v1/verifications/latest?system=payments&commit=1111111",
        &payments,
    )
    .json();
    assert_eq!(v["verdict"], "pending", "{v}");
    // Another environment has no deployment at all.
    let v = get(
        "/v1/verifications/latest?system=payments&environment=staging",
        &payments,
    )
    .json();
    assert_eq!(v["verdict"], "pending", "{v}");
    let v = get(
        "/v1/verifications/latest?system=payments&commit=4444444",
        &payments,
    )
    .json();
    assert_eq!(v["verdict"], "pending", "{v}");
    assert_eq!(
        get("/v1/verifications/latest?system=payments", &ledger).status,
        403
    );
    assert_eq!(
        get(
            "/v1/verifications/latest?system=payments&commit=xyz",
            &payments
        )
        .status,
        400
    );
    // Flagger: the failed deployment is rolled back and held; the rollback deployment is not
    // verified yet, so it is held but not rolled back. A controller token also reads the
    // Argo endpoint, and nothing else.
    let (status, v) = flagger(addr, &controller, "rollback", Some("2222222"));
    assert_eq!(
        (status, v["answer"].as_str()),
        (200, Some("roll back")),
        "{v}"
    );
    let (status, v) = flagger(addr, &controller, "gate", Some("2222222"));
    assert_eq!(
        (status, v["verdict"].as_str()),
        (412, Some("failed")),
        "{v}"
    );
    let (status, v) = flagger(addr, &controller, "gate", None);
    assert_eq!(
        (status, v["verdict"].as_str()),
        (412, Some("pending")),
        "{v}"
    );
    let (status, v) = flagger(addr, &controller, "rollback", None);
    assert_eq!((status, v["answer"].as_str()), (412, Some("keep")), "{v}");
    assert_eq!(flagger(addr, &ledger, "rollback", None).0, 403);
    assert_eq!(
        get("/v1/verifications/latest?system=payments", &controller).json()["verdict"],
        "pending"
    );
    assert_eq!(get("/v1/entries", &controller).status, 403);
    drop(server);
}

#[test]
fn a_server_watches_and_the_pipeline_rolls_back() {
    let d = tempfile::tempdir().unwrap();
    let (server_store, pipeline) = (d.path().join("server"), d.path().join("pipeline"));
    assert!(plumb(&server_store, &["init"]).status.success());
    assert!(plumb(&pipeline, &["init"]).status.success());
    // The server trusts the pipeline's key for its rollback record.
    let key = d.path().join("ci.pub");
    std::fs::write(&key, plumb(&pipeline, &["key", "show"]).stdout).unwrap();
    assert!(
        plumb(&server_store, &["key", "trust", key.to_str().unwrap()])
            .status
            .success()
    );
    let dep = deploy(
        &server_store,
        d.path(),
        "5555555555555555555555555555555555555555",
    );
    let rec = token(
        &server_store,
        &["--role", "recorder", "--system", "payments"],
    );
    let admin = token(&server_store, &["--role", "admin"]);
    let other = token(
        &server_store,
        &["--role", "recorder", "--system", "identity"],
    );

    let exporter = Exporter::start(0.5);
    let prom = Prometheus::start(exporter.port);
    let called = d.path().join("called.txt");
    let script = d.path().join("rollback.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$PLUMB_DEPLOYMENT_ENTRY\" >> '{}'\n",
            called.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    // The server judges with its configuration; the pipeline's file gives only the rollback.
    let server_cfg = config(
        d.path(),
        "server-watch.yaml",
        &prom.url(),
        "",
        "",
        Path::new("/bin/false"),
    );
    let local_cfg = config(
        d.path(),
        "local-watch.yaml",
        "http://127.0.0.1:1",
        "",
        "",
        &script,
    );
    let incidents =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident/incident.yaml");
    let port = plumb_testkit::free_port();
    // The server's gate requires resilience tests of payments.
    let gates = d.path().join("gates");
    std::fs::create_dir(&gates).unwrap();
    std::fs::write(
        gates.join("payments.yaml"),
        "criticality: critical\nrequire_resilience_test: true\n",
    )
    .unwrap();
    let _server = plumb_testkit::isolated(env!("CARGO_BIN_EXE_plumb"))
        .arg("--store")
        .arg(&server_store)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--watch-config",
            &server_cfg,
            "--gate-config",
        ])
        .arg(&gates)
        .arg("--incidents")
        .arg(&incidents)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(plumb_testkit::KillOnDrop)
        .unwrap();
    plumb_testkit::wait_for_port("plumb serve", port);
    let url = format!("http://127.0.0.1:{port}");
    let o = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["--server", &url, "--store"])
        .arg(&pipeline)
        .args([
            "--format", "json", "watch", "--system", "payments", "--config", &local_cfg,
        ])
        .env("PLUMB_TOKEN", &rec)
        .env_remove("PLUMB_INCIDENT_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    assert_eq!(
        (v["verdict"].as_str(), v["deployment"].as_u64()),
        (Some("failed"), Some(dep)),
        "{v}"
    );
    assert!(
        v["incident"]
            .as_str()
            .is_some_and(|i| i.starts_with("INC-")),
        "{v}"
    );
    assert_eq!(
        std::fs::read_to_string(&called).unwrap().trim(),
        dep.to_string()
    );
    let rollback = v["rollback"]["entry"]
        .as_u64()
        .expect("the rollback recorded through the server");
    // The verdict is the server's (signed by its key); the rollback the pipeline's.
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let get = |path: &str| {
        let auth = format!("Bearer {admin}");
        plumb_testkit::http(addr, "GET", path, &[("Authorization", &auth)], b"").json()
    };
    let ver = get(&format!("/v1/entries/{}", v["entry"].as_u64().unwrap())).to_string();
    assert!(
        ver.contains("deployment-verification") && ver.contains("\"verdict\":\"failed\""),
        "{ver}"
    );
    let rb = get(&format!("/v1/entries/{rollback}")).to_string();
    assert!(
        rb.contains("\"change\":\"rollback\"") && rb.contains(&format!("\"remedies\":{dep}")),
        "{rb}"
    );
    // The failed deployment cannot be watched again until a verdict passes.
    let auth = format!("Bearer {rec}");
    let again = format!(r#"{{"system":"payments","deployment":{dep}}}"#);
    let r = plumb_testkit::http(
        addr,
        "POST",
        "/v1/watches",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        again.as_bytes(),
    );
    assert_eq!(r.status, 409, "{}", r.text());
    // Another system's deployment entry is not told apart from no deployment.
    let r = plumb_testkit::http(
        addr,
        "POST",
        "/v1/watches",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        br#"{"system":"payments","deployment":999}"#,
    );
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("is not a deployment of payments"),
        "{}",
        r.text()
    );
    // A recorder's model check cannot move the model the server judges resilience by: a
    // model where payments supports nothing is recorded, yet the gate still asks for the
    // Payments function's tests, from the server's own model.
    let bare = "id: m\nname: bare\nelements:\n  - {id: app, type: ApplicationComponent, name: Payments API, properties: {plumb:service: payments}}\n";
    let r = plumb_testkit::http(
        addr,
        "POST",
        "/v1/model/check?record=true&system=payments&name=bare.yaml",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/yaml"),
        ],
        bare.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = plumb_testkit::http(
        addr,
        "POST",
        "/v1/gate",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        br#"{"system":"payments","inputs":[]}"#,
    );
    let res: Vec<String> = r.json()["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["id"] == "DORA-RES-003")
        .map(|v| v["msg"].as_str().unwrap().to_string())
        .collect();
    assert!(
        res.iter()
            .any(|m| m.contains("Payments") && m.contains("no_test")),
        "{res:?}"
    );
    // A recorder of another system cannot start a watch of payments.
    let auth = format!("Bearer {other}");
    let r = plumb_testkit::http(
        addr,
        "POST",
        "/v1/watches",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        br#"{"system":"payments"}"#,
    );
    assert_eq!(r.status, 403);
}
