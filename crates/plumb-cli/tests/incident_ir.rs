//! Report documents in the authorities' IR JSON through the binary: `report --out` writes the
//! IR structure, `--fields-out` the field-code view; `plumb incident validate` names the field
//! and the rule and exits 1; an authority schema given with `--schema` is enforced under both
//! JSON Schema drafts (its `dependencies` rules included), and a report that fails it cannot
//! be submitted.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::{Duration, Utc};
use serde_json::{Value, json};

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

fn incident(store: &Path) -> Command {
    let mut c = plumb(store);
    c.args(["--format", "json", "incident", "--config"])
        .arg(root().join("examples/incident/incident.yaml"));
    c
}

fn ok(out: Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn run(c: &mut Command) -> Output {
    c.output().expect("plumb runs")
}

/// A store with one classified major incident whose initial notification was submitted.
fn classified(dir: &Path) -> (PathBuf, String) {
    let store = dir.join("store");
    plumb_testkit::sh(plumb(&store).arg("init"));
    let detected = (Utc::now() - Duration::hours(2))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let v = ok(run(incident(&store).args([
        "open",
        "--title",
        "Card payments fail",
        "--description",
        "Card payments fail after a release",
        "--service",
        "payments",
        "--discovery",
        "monitoring_systems",
        "--detected-at",
        &detected,
    ])));
    let id = v["id"].as_str().expect("id").to_string();
    let ex = root().join("examples/incident");
    ok(run(incident(&store)
        .args(["classify", &id, "--assessment"])
        .arg(ex.join("assessment.yaml"))));
    ok(run(incident(&store)
        .args(["report", &id, "--stage", "initial", "--details"])
        .arg(ex.join("initial.yaml"))));
    ok(run(
        incident(&store).args(["submit", &id, "--stage", "initial"])
    ));
    (store, id)
}

#[test]
fn reports_are_written_in_the_ir_structure_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = classified(dir.path());
    let ex = root().join("examples/incident");
    let (ir, fields) = (dir.path().join("ir.json"), dir.path().join("fields.json"));
    let v = ok(run(incident(&store)
        .args(["report", &id, "--stage", "intermediate", "--details"])
        .arg(ex.join("intermediate.yaml"))
        .arg("--out")
        .arg(&ir)
        .arg("--fields-out")
        .arg(&fields)));
    assert_eq!(v["reports"]["intermediate"]["missing"], json!([]), "{v:#}");
    let doc: Value = serde_json::from_slice(&std::fs::read(&ir).unwrap()).unwrap();
    assert_eq!(doc["incidentSubmission"], "intermediate_report");
    assert_eq!(doc["submittingEntity"]["LEI"], "5299000SMALLBANK0E92");
    assert_eq!(
        doc["affectedEntity"][0]["affectedEntityType"],
        json!(["credit_institution"])
    );
    assert_eq!(doc["incident"]["financialEntityCode"], id.as_str());
    // 3.12 per dimension, 3.13 spelled as the schema spells it, inside the reputational item.
    assert_eq!(
        doc["impactAssessment"]["affectedAssets"]["numbersActualEstimate"],
        json!([
            "estimates_for_clients_affected",
            "estimates_for_transactions_affected"
        ])
    );
    let items = doc["incident"]["classificationTypes"].as_array().unwrap();
    let reputation = items
        .iter()
        .find(|i| i["classificationCriterion"] == "reputational_impact")
        .expect("reputational item");
    assert_eq!(
        reputation["reputationalImpactType"][0],
        "the_major_ict-related_incident_has_resulted_in_repetitive_complaints_from_different_clients_or_financial_counterparts_on_client-facing_services_or_critical_business_relationships"
    );
    let by_code: Value = serde_json::from_slice(&std::fs::read(&fields).unwrap()).unwrap();
    assert_eq!(by_code["fields"]["2.1"], id.as_str());

    // validate: the written document passes; with the description removed it names 2.4.
    let valid = ok(run(plumb(&store)
        .args(["--format", "json", "incident", "validate"])
        .arg(&ir)));
    assert_eq!(valid["valid"], true, "{valid:#}");
    let mut broken = doc.clone();
    broken["incident"]
        .as_object_mut()
        .unwrap()
        .remove("incidentDescription");
    broken["incident"]["incidentType"]["incidentClassification"] = json!(["cybersecurity-related"]);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, broken.to_string()).unwrap();
    let out = run(plumb(&store).args(["incident", "validate"]).arg(&bad));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2.4 (incident.incidentDescription): is required in every report"),
        "{text}"
    );
    assert!(
        text.contains("3.25 (incident.incidentType.threatTechniques)"),
        "{text}"
    );
    assert!(text.contains("3.35"), "{text}");
    // Not JSON at all: a clear error, exit 2.
    std::fs::write(&bad, "{\"incidentSubmission\": ").unwrap();
    let out = run(plumb(&store).args(["incident", "validate"]).arg(&bad));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not JSON"));
}

/// A schema in the authorities' style: declared 2020-12 (spelled with http and `#`), its stage
/// rule written with draft-07's `dependencies`.
fn authority_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft/2020-12/schema#",
        "$id": "TEST-IR",
        "type": "object",
        "required": ["incidentSubmission"],
        "properties": {"reportingToOtherAuthorities": {"type": "array", "items": {"enum": ["csirt", "none"]}}},
        "dependencies": {
            "incidentSubmission": {
                "oneOf": [
                    {"properties": {"incidentSubmission": {"const": "initial_notification"}}},
                    {"properties": {"incidentSubmission": {"const": "intermediate_report"}},
                     "required": ["informationDurationServiceDowntimeActualOrEstimate", "testOnlyMember"]},
                    {"properties": {"incidentSubmission": {"const": "final_report"}}}
                ]
            }
        }
    })
}

#[test]
fn an_authority_schema_is_enforced_and_blocks_submission() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = classified(dir.path());
    let ex = root().join("examples/incident");
    let schema = dir.path().join("schema.json");
    std::fs::write(&schema, authority_schema().to_string()).unwrap();
    let v = ok(run(incident(&store)
        .args(["report", &id, "--stage", "intermediate", "--details"])
        .arg(ex.join("intermediate.yaml"))
        .arg("--schema")
        .arg(&schema)));
    let missing = v["reports"]["intermediate"]["missing"].to_string();
    // The stage rule written with `dependencies` is enforced, once, without the whole document
    // pasted into the message.
    assert_eq!(
        missing
            .matches("at /dependencies/incidentSubmission/oneOf")
            .count(),
        1,
        "{missing}"
    );
    assert!(!missing.contains("Small Bank AG"), "{missing}");
    let out = run(incident(&store).args(["submit", &id, "--stage", "intermediate"]));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/dependencies/incidentSubmission/oneOf")
    );
    // validate with the same schema says the same.
    let ir = dir.path().join("ir.json");
    ok(run(incident(&store)
        .args(["report", &id, "--stage", "intermediate", "--details"])
        .arg(ex.join("intermediate.yaml"))
        .arg("--out")
        .arg(&ir)));
    let out = run(plumb(&store)
        .args(["--format", "json", "incident", "validate"])
        .arg(&ir)
        .arg("--schema")
        .arg(&schema));
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "TEST-IR");
    assert_eq!(v["violations"].as_array().unwrap().len(), 1, "{v:#}");
    // With the member the stage branch requires, the schema is satisfied; Plumbline's own
    // rules still refuse a member the IR document does not have.
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&ir).unwrap()).unwrap();
    doc["testOnlyMember"] = json!(true);
    std::fs::write(&ir, doc.to_string()).unwrap();
    let out = run(plumb(&store)
        .args(["--format", "json", "incident", "validate"])
        .arg(&ir)
        .arg("--schema")
        .arg(&schema));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v["violations"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{v:#}");
    assert_eq!(list[0]["path"], "testOnlyMember");
    assert!(list[0]["rule"].as_str().unwrap().contains("not a member"));
    // A schema that is not one is refused up front; so are unknown versions.
    std::fs::write(&schema, r#"{"type": 12}"#).unwrap();
    let out = run(plumb(&store)
        .args(["incident", "validate"])
        .arg(&ir)
        .arg("--schema")
        .arg(&schema));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not compile"));
    let out = run(plumb(&store)
        .args(["incident", "validate", "--ir-version", "2.0"])
        .arg(&ir));
    assert_eq!(out.status.code(), Some(2));
}

/// Opens a non-major incident `days` ago on `service` in `state`, with `cause` recorded.
fn non_major(store: &Path, dir: &Path, days: i64, state: &str, cause: &str) -> (String, String) {
    let detected = (Utc::now() - Duration::days(days))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let v = ok(run(incident(store).args([
        "open",
        "--title",
        &format!("TLS failure {days} days ago"),
        "--service",
        "payments",
        "--detected-at",
        &detected,
    ])));
    let id = v["id"].as_str().expect("id").to_string();
    let a = dir.join(format!("a{days}.yaml"));
    std::fs::write(
        &a,
        format!(
            "{{supports_critical_functions: true, costs_eur: 60000, member_states: [{state}]}}"
        ),
    )
    .unwrap();
    let v = ok(run(incident(store)
        .args(["classify", &id, "--assessment"])
        .arg(&a)));
    assert_eq!(v["major"], false, "{v:#}");
    ok(run(incident(store).args([
        "root-cause",
        &id,
        "--cause",
        cause,
    ])));
    (id, detected)
}

/// RTS 2024/1772 Art. 8(2) through the binary: two non-major incidents with one root cause are
/// found, opened once as one major incident whose initial notification carries the detection
/// of the last (2.2) and the recurring incidents (4.15, 4.16).
#[test]
fn recurring_incidents_are_found_and_opened_once_as_one_major_incident() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    plumb_testkit::sh(plumb(&store).arg("init"));
    let (first, _) = non_major(&store, dir.path(), 40, "DE", "Expired TLS certificate");
    let (second, second_detected) =
        non_major(&store, dir.path(), 10, "AT", "expired TLS certificate");
    // A third without a root cause is named, not compared.
    let detected = (Utc::now() - Duration::days(5))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let third = ok(run(incident(&store).args([
        "open",
        "--title",
        "Unknown",
        "--service",
        "payments",
        "--detected-at",
        &detected,
    ])))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = dir.path().join("third.yaml");
    std::fs::write(&a, "{supports_critical_functions: true, costs_eur: 1000}").unwrap();
    ok(run(incident(&store)
        .args(["classify", &third, "--assessment"])
        .arg(&a)));

    let v = ok(run(incident(&store).arg("recurring")));
    let groups = v["assessment"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{v:#}");
    assert_eq!(groups[0]["incidents"], json!([first, second]));
    assert_eq!(groups[0]["classification"]["major"], true);
    assert_eq!(v["assessment"]["without_root_cause"], json!([third]));
    let size = |s: &Path| {
        ok(run(plumb(s).args(["--format", "json", "log"])))
            .as_array()
            .map_or(0, Vec::len)
    };
    let before = size(&store);

    let v = ok(run(incident(&store).args(["recurring", "--open"])));
    let opened = v["opened"][0].as_str().expect("opened").to_string();
    // Reported now: no longer a new group, listed as opened.
    assert_eq!(v["assessment"]["groups"], json!([]));
    assert_eq!(v["assessment"]["opened"][0]["id"], opened.as_str());
    assert_eq!(
        v["assessment"]["opened"][0]["incidents"],
        json!([first, second])
    );
    assert_eq!(size(&store), before + 2, "opened and classified");
    // Once only.
    let again = ok(run(incident(&store).args(["recurring", "--open"])));
    assert_eq!(again["opened"], json!([]));
    assert_eq!(size(&store), before + 2);

    let shown = ok(run(incident(&store).args(["show", &opened])));
    assert_eq!(shown["major"], true, "{shown:#}");
    assert_eq!(shown["deadlines"][0]["state"], "due");
    let ir = dir.path().join("ir.json");
    let details = dir.path().join("details.yaml");
    std::fs::write(&details, "\"2.9\": false\n").unwrap();
    ok(run(incident(&store)
        .args(["report", &opened, "--stage", "initial", "--details"])
        .arg(&details)
        .arg("--out")
        .arg(&ir)));
    let doc: Value = serde_json::from_slice(&std::fs::read(&ir).unwrap()).unwrap();
    assert_eq!(
        doc["incident"]["detectionDateTime"],
        second_detected.as_str()
    );
    let recurring = doc["incident"]["recurringNonMajorIncidentsDescription"]
        .as_str()
        .unwrap();
    assert!(
        recurring.contains(&first) && recurring.contains(&second),
        "{recurring}"
    );
    assert!(doc["incident"]["recurringIncidentDate"].is_string());
    assert_eq!(
        plumb_incident::ir::rules::check(&doc, Default::default()),
        vec![]
    );
}

/// A cyber threat through the binary: the Art. 10 test decides; a significant one is recorded
/// with its notification in the CYB structure, written with --out; one that is not significant
/// is recorded without, and --out says so; bad details are refused and nothing is written.
#[test]
fn cyber_threats_are_recorded_and_significant_ones_notified() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    plumb_testkit::sh(plumb(&store).arg("init"));
    let example = root().join("examples/incident/threat.yaml");
    let cyb = dir.path().join("cyb.json");
    let v = ok(run(incident(&store)
        .args(["threat", "--details"])
        .arg(&example)
        .arg("--out")
        .arg(&cyb)));
    assert_eq!(v["significant"], true, "{v:#}");
    let doc: Value = serde_json::from_slice(&std::fs::read(&cyb).unwrap()).unwrap();
    assert_eq!(doc["cyberThreat"]["status"], "active");
    assert_eq!(
        doc["affectedFinancialEntity"]["LEI"],
        "5299000SMALLBANK0E92"
    );
    assert_eq!(plumb_incident::ir::cyb::check(&doc), vec![]);
    // The same threat recorded again at the same moment (its id is derived from detection,
    // description and time) is refused: never two records of one threat.
    let at = |store: &Path| {
        let mut c = plumb(store);
        c.args([
            "--now",
            "2026-11-30T12:00:00Z",
            "--format",
            "json",
            "incident",
            "--config",
        ])
        .arg(root().join("examples/incident/incident.yaml"))
        .args(["threat", "--details"])
        .arg(&example);
        c
    };
    let first = ok(run(&mut at(&store)));
    let again = run(&mut at(&store));
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains(&format!(
            "{} is recorded already",
            first["id"].as_str().unwrap()
        )),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    // Not highly probable: Art. 10(b) fails; recorded, but no notification.
    let text = std::fs::read_to_string(&example)
        .unwrap()
        .replace("high_probability: true", "high_probability: false")
        .replace("Credential-stuffing campaign", "Scanning");
    let unlikely = dir.path().join("unlikely.yaml");
    std::fs::write(&unlikely, text).unwrap();
    let other = dir.path().join("other.json");
    let out = run(incident(&store)
        .args(["threat", "--details"])
        .arg(&unlikely)
        .arg("--out")
        .arg(&other));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a significant cyber threat"));
    assert!(!other.exists());

    // An unknown criterion: refused, nothing recorded.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&example)
            .unwrap()
            .replace("geographical_spread", "bad_weather"),
    )
    .unwrap();
    let out = run(incident(&store).args(["threat", "--details"]).arg(&bad));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad_weather"));

    let list = ok(run(incident(&store).arg("threats")));
    let threats = list["threats"].as_array().unwrap();
    assert_eq!(threats.len(), 3, "{list:#}");
    assert_eq!(threats[0]["significant"], false, "newest first");
    assert!(threats.iter().skip(1).all(|t| t["significant"] == true));
}
