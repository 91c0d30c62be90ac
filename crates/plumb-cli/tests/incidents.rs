//! Incidents through `plumb serve --incidents`: an Alertmanager webhook (sent with
//! `plumb --server incident alert`, as Alertmanager would post it) opens an incident linked to
//! the deployment before it; repeats are deduplicated; the incident manager classifies it and
//! generates the initial notification; /metrics shows the clock; bad payloads and wrong roles
//! are refused without writing anything.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::{Duration, Utc};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plumb(store: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_plumb"));
    c.arg("--store").arg(store).env_remove("PLUMB_TOKEN");
    c.env_remove("PLUMB_SERVER")
        .env_remove("PLUMB_INCIDENT_CONFIG")
        .stdin(Stdio::null());
    c
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// A token of `role`, limited to payments where the role can be limited.
fn token(store: &Path, role: &str) -> String {
    let mut c = plumb(store);
    c.args(["token", "create", "--role", role]);
    if role != "metrics" && role != "admin" {
        c.args(["--system", "payments"]);
    }
    let out = plumb_testkit::sh(&mut c);
    out.lines().next().unwrap().trim().to_string()
}

fn ts(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[test]
fn a_webhook_opens_a_linked_incident_with_its_clock() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    plumb_testkit::sh(plumb(&store).arg("init"));
    let now = Utc::now();
    let dep = dir.path().join("dep.json");
    std::fs::write(&dep, r#"{"environment":"production","change_id":"CHG-77"}"#).unwrap();
    let commit = format!("{:0<40}", "abcdef1");
    plumb_testkit::sh(
        plumb(&store)
            .args([
                "--now",
                &ts(now - Duration::minutes(30)),
                "record",
                "--predicate-type",
                "https://plumbline.dev/attestation/deployment/v1",
                "--system",
                "payments",
            ])
            .arg("--predicate")
            .arg(&dep)
            .args(["--subject", &format!("gitCommit:{commit}")]),
    );
    let (recorder, manager, auditor) = (
        token(&store, "recorder"),
        token(&store, "incident-manager"),
        token(&store, "auditor"),
    );
    let port = plumb_testkit::free_port();
    let server = plumb(&store)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--incidents")
        .arg(root().join("examples/incident/incident.yaml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = plumb_testkit::KillOnDrop(server);
    plumb_testkit::wait_for_port("plumb serve", port);
    let url = format!("http://127.0.0.1:{port}");
    let remote = |tok: &str| {
        let mut c = plumb(&store);
        c.args(["--server", &url, "--format", "json"])
            .env("PLUMB_TOKEN", tok);
        c
    };

    let hook = dir.path().join("hook.json");
    let body = format!(
        r#"{{"version":"4","groupKey":"g1","status":"firing","receiver":"plumbline","alerts":[{{"status":"firing","labels":{{"alertname":"PaymentsErrorRate","service":"payments","severity":"critical"}},"annotations":{{"summary":"Card payments fail"}},"startsAt":"{}","endsAt":"0001-01-01T00:00:00Z","fingerprint":"f00d"}}]}}"#,
        ts(now - Duration::minutes(10))
    );
    std::fs::write(&hook, &body).unwrap();

    // An auditor cannot send alerts; nothing is opened.
    let out = remote(&auditor)
        .args(["incident", "alert"])
        .arg(&hook)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("403"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A wrong payload version is refused with the field named.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, body.replace("\"version\":\"4\"", "\"version\":\"5\"")).unwrap();
    let out = remote(&recorder)
        .args(["incident", "alert"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("version"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let v = json(
        &remote(&recorder)
            .args(["incident", "alert"])
            .arg(&hook)
            .output()
            .unwrap(),
    );
    assert_eq!(v["outcome"]["opened"].as_array().unwrap().len(), 1, "{v}");
    let id = v["outcome"]["opened"][0].as_str().unwrap().to_string();
    let again = json(
        &remote(&recorder)
            .args(["incident", "alert"])
            .arg(&hook)
            .output()
            .unwrap(),
    );
    assert_eq!(
        again["outcome"]["duplicates"].as_array().unwrap().len(),
        1,
        "{again}"
    );
    assert!(again["entries"].as_array().unwrap().is_empty());

    // The incident manager classifies it and generates the initial notification.
    let ex = root().join("examples/incident");
    let v = json(
        &remote(&manager)
            .args(["incident", "classify", &id, "--assessment"])
            .arg(ex.join("assessment.yaml"))
            .output()
            .unwrap(),
    );
    assert_eq!(v["major"], true, "{v}");
    assert_eq!(v["links"][0]["method"], "heuristic");
    assert_eq!(v["links"][0]["commit"], commit.as_str());
    assert_eq!(v["deadlines"][0]["state"], "due");
    let html = dir.path().join("initial.html");
    let v = json(
        &remote(&manager)
            .args(["incident", "report", &id, "--stage", "initial", "--details"])
            .arg(ex.join("initial.yaml"))
            .arg("--html")
            .arg(&html)
            .output()
            .unwrap(),
    );
    assert!(
        v["reports"]["initial"]["missing"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{v}"
    );
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .contains("Date and time of classification of the incident as major")
    );
    // The recurring-incident assessment through the API: readable by the auditor (nothing
    // recurs here), opening is for the incident manager.
    let rec = json(
        &remote(&auditor)
            .args(["incident", "recurring"])
            .output()
            .unwrap(),
    );
    assert_eq!(rec["assessment"]["applies"], true, "{rec}");
    assert_eq!(rec["assessment"]["groups"], serde_json::json!([]));
    let out = remote(&auditor)
        .args(["incident", "recurring", "--open"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("403"));
    let rec = json(
        &remote(&manager)
            .args(["incident", "recurring", "--open"])
            .output()
            .unwrap(),
    );
    assert_eq!(rec["opened"], serde_json::json!([]));
    // The auditor reads but cannot change it.
    let out = remote(&auditor)
        .args(["incident", "resolve", &id])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("403"));
    let shown = json(
        &remote(&auditor)
            .args(["incident", "show", &id])
            .output()
            .unwrap(),
    );
    let events: Vec<&str> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[1]["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["opened", "linked", "classified", "report_generated"]
    );

    // The clock on /metrics, for alerting.
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let scraper = format!("Bearer {}", token(&store, "metrics"));
    assert_eq!(
        plumb_testkit::http(addr, "GET", "/metrics", &[], b"").status,
        401,
        "the clocks name incidents: not public"
    );
    let metrics =
        plumb_testkit::http(addr, "GET", "/metrics", &[("Authorization", &scraper)], b"").text();
    assert!(
        metrics.contains("plumb_incident_reports_due 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "plumb_incident_report_due_seconds{{incident=\"{id}\",stage=\"initial\"}}"
        )),
        "{metrics}"
    );
}
