//! `plumb model` and `plumb drift` through the real binary, on the demo bank and real models.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plumb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .current_dir(root())
        .args(["--now", "2026-11-21T10:00:00Z"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const BANK: &str = "examples/model/bank.yaml";

#[test]
fn check_outputs_for_people_json_and_sarif_and_records_the_result() {
    let d = tempfile::tempdir().unwrap();
    let o = plumb(&["model", "check", BANK]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("DORA-MODEL-007"));
    let sarif = d.path().join("m.sarif");
    let o = plumb(&[
        "model",
        "check",
        BANK,
        "--format",
        "json",
        "--sarif-out",
        sarif.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
    // Our own SARIF reader accepts what we write.
    let facts = plumb_ingest::ingest(&[(
        plumb_ingest::Kind::Sast,
        "m.sarif".into(),
        std::fs::read(&sarif).unwrap(),
    )])
    .unwrap();
    assert_eq!(
        facts.findings.len(),
        v["report"]["findings"].as_array().unwrap().len()
    );

    let store = d.path().join("store");
    assert!(
        plumb(&["--store", store.to_str().unwrap(), "init"])
            .status
            .success()
    );
    let o = plumb(&[
        "--store",
        store.to_str().unwrap(),
        "model",
        "check",
        BANK,
        "--record",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("recorded as entry 0"));
    let digest = v["report"]["model_digest"].as_str().unwrap();
    let found: serde_json::Value = serde_json::from_slice(
        &plumb(&[
            "--store",
            store.to_str().unwrap(),
            "log",
            "--subject",
            &format!("sha256:{digest}"),
            "--format",
            "json",
        ])
        .stdout,
    )
    .unwrap();
    assert_eq!(
        found[0]["predicate_type"],
        "https://plumbline.dev/attestation/model-check/v1"
    );
}

#[test]
fn a_broken_model_fails_the_check_and_bad_input_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let broken = d.path().join("broken.yaml");
    let text = std::fs::read_to_string(root().join(BANK)).unwrap().replace(
        "  - {id: rel-ctr-2, type: Association, source: prov-cardproc, target: ctr-cardproc}\n",
        "",
    );
    std::fs::write(&broken, text).unwrap();
    let o = plumb(&["model", "check", broken.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("DORA-MODEL-003"));
    if let Some(corpus) = plumb_testkit::corpus() {
        // An ArchiMate 2.1 model is converted, the conversion listed before the findings.
        let old = corpus.join("archimate/archi-tools-rb/archisurance.xml");
        let o = plumb(&["model", "check", old.to_str().unwrap()]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains("converted from ArchiMate 2.x")
                && out.contains("32 × UsedByRelationship renamed Serving"),
            "{out}"
        );
        let o = plumb(&["--format", "json", "model", "check", old.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v["notes"].as_array().unwrap().len() >= 6, "{v}");
        let o = plumb(&[
            "model",
            "check",
            old.to_str().unwrap(),
            "--refuse-archimate2",
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("ArchiMate 2.1"));
        // Converted to a 3.x exchange file that reads back without notes.
        let new = d.path().join("archisurance-3.xml");
        let o = plumb(&[
            "model",
            "convert",
            old.to_str().unwrap(),
            "--to",
            "xml",
            "--out",
            new.to_str().unwrap(),
        ]);
        assert!(String::from_utf8_lossy(&o.stdout).contains("renamed Serving"));
        let again = plumb_model::load(&new).unwrap();
        assert!(again.notes.is_empty());
        assert_eq!(again.relationships.len(), 178);
    }
    let o = plumb(&["model", "impact", BANK, "no-such-element"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn impact_view_and_convert() {
    let d = tempfile::tempdir().unwrap();
    let o = plumb(&["model", "impact", BANK, "prov-cloudco", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["affected"].as_array().unwrap().len(), 3);
    let svg = d.path().join("ledger.svg");
    assert!(
        plumb(&[
            "model",
            "view",
            BANK,
            "--function",
            "fn-ledger",
            "--out",
            svg.to_str().unwrap()
        ])
        .status
        .success()
    );
    assert!(
        std::fs::read_to_string(&svg)
            .unwrap()
            .contains("On-premises mainframe")
    );
    // YAML -> exchange XML -> Archi CSV -> YAML keeps the graph.
    let xml = d.path().join("bank.xml");
    let csv = d.path().join("csv");
    let yaml = d.path().join("back.yaml");
    assert!(
        plumb(&[
            "model",
            "convert",
            BANK,
            "--to",
            "xml",
            "--out",
            xml.to_str().unwrap()
        ])
        .status
        .success()
    );
    assert!(
        plumb(&[
            "model",
            "convert",
            xml.to_str().unwrap(),
            "--to",
            "csv",
            "--out",
            csv.to_str().unwrap()
        ])
        .status
        .success()
    );
    assert!(
        plumb(&[
            "model",
            "convert",
            csv.to_str().unwrap(),
            "--to",
            "yaml",
            "--out",
            yaml.to_str().unwrap()
        ])
        .status
        .success()
    );
    let a = plumb_model::load(&root().join(BANK)).unwrap();
    let b = plumb_model::load(&yaml).unwrap();
    assert_eq!(a.canonical(), b.canonical());
    // Archisurance from Archi goes through check, impact and view.
    let Some(corpus) = plumb_testkit::corpus() else {
        return;
    };
    let archisurance = corpus.join("archimate/archi/archisurance.xml");
    let archisurance = archisurance.to_str().unwrap();
    // The architect's own views: listed, and one drawn by name.
    let o = plumb(&["model", "view", archisurance, "--list", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 18);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == "Layered View")
    );
    let layered = d.path().join("layered.svg");
    let o = plumb(&[
        "model",
        "view",
        archisurance,
        "--view",
        "Layered View",
        "--out",
        layered.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(&layered).unwrap();
    assert_eq!(svg.matches("<g data-node=").count(), 37);
    assert!(svg.contains("marker-end=\"url(#m-"));
    let o = plumb(&[
        "model",
        "view",
        archisurance,
        "--view",
        "No such view",
        "--out",
        layered.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    // The demo bank draws one view of its own in YAML; a model without views says so.
    let o = plumb(&["model", "view", BANK, "--list"]);
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("view-payments  Payments, end to end  (11 nodes, 8 connections)"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // What fails with the cluster, drawn over that view.
    let drawn = tempfile::NamedTempFile::with_suffix(".svg").unwrap();
    let svg_path = drawn.path().to_str().unwrap();
    let o = plumb(&[
        "--format",
        "json",
        "model",
        "view",
        BANK,
        "--view",
        "view-payments",
        "--impact",
        "node-k8s",
        "--out",
        svg_path,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["impact"]["functions"], 3, "{v}");
    assert!(
        std::fs::read_to_string(drawn.path())
            .unwrap()
            .contains("data-impact=\"failed\"")
    );
    let o = plumb(&[
        "model",
        "view",
        BANK,
        "--view",
        "view-payments",
        "--impact",
        "ghost",
        "--out",
        svg_path,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let plain = tempfile::NamedTempFile::with_suffix(".yaml").unwrap();
    std::fs::write(plain.path(), "id: m\nname: M\n").unwrap();
    let o = plumb(&["model", "view", plain.path().to_str().unwrap(), "--list"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("no views of its own"));
    let o = plumb(&["model", "check", archisurance, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["report"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != "ARCHIMATE-REL-001")
    );
    assert!(
        plumb(&[
            "model",
            "view",
            archisurance,
            "--out",
            d.path().join("a.svg").to_str().unwrap()
        ])
        .status
        .success()
    );
}

#[test]
fn drift_reads_deployments_and_sboms_from_the_ledger() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let s = store.to_str().unwrap();
    assert!(plumb(&["--store", s, "init"]).status.success());
    let sbom = d.path().join("sbom.json");
    std::fs::write(&sbom, r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"stripe","version":"7.1.0","purl":"pkg:pypi/stripe@7.1.0"}]}"#).unwrap();
    // Deployment records as the type defines them (docs/schemas/deployment.schema.json).
    let record = d.path().join("deployment.json");
    std::fs::write(
        &record,
        r#"{"environment":"production","status":"succeeded"}"#,
    )
    .unwrap();
    for system in ["payments", "fraud-scoring"] {
        let o = plumb(&[
            "--store",
            s,
            "record",
            "--subject",
            "gitCommit:0123456789abcdef0123456789abcdef01234567",
            "--predicate-type",
            "https://plumbline.dev/attestation/deployment/v1",
            "--predicate",
            record.to_str().unwrap(),
            "--system",
            system,
            "--attach",
            sbom.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let o = plumb(&["--store", s, "drift", "--model", BANK, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"DRIFT-001") && ids.contains(&"DRIFT-002") && ids.contains(&"DRIFT-003"),
        "{ids:?}"
    );
}

#[test]
fn the_model_rules_are_listed_with_their_law_and_an_invalid_threshold_is_refused() {
    let o = plumb(&["--format", "json", "model", "rules"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules = v["rules"].as_array().unwrap();
    let service_type = rules
        .iter()
        .find(|r| r["id"] == "DORA-MODEL-012")
        .expect("the service-type rule is listed");
    assert_eq!(service_type["level"], "error");
    assert_eq!(service_type["refs"][0], "ITS 2024/2956");
    assert!(
        rules
            .iter()
            .all(|r| !r["fix"].as_str().unwrap_or("").is_empty())
    );
    let o = plumb(&["model", "check", BANK, "--concentration-threshold", "1.5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at most 1"));
}

/// Drift drawn over the model's own view: with only payments deployed, the applications the
/// view shows that never were (identity, the core ledger) carry the drift badge, payments does
/// not.
#[test]
fn drift_is_marked_on_a_view() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let s = store.to_str().unwrap();
    assert!(plumb(&["--store", s, "init"]).status.success());
    let dep = d.path().join("dep.json");
    std::fs::write(&dep, br#"{"environment": "production"}"#).unwrap();
    let o = plumb(&[
        "--store",
        s,
        "record",
        "--subject",
        "gitCommit:1111111111111111111111111111111111111111",
        "--predicate-type",
        "https://plumbline.dev/attestation/deployment/v1",
        "--predicate",
        dep.to_str().unwrap(),
        "--system",
        "payments",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = d.path().join("drift.svg");
    let o = plumb(&[
        "--store",
        s,
        "--format",
        "json",
        "model",
        "view",
        BANK,
        "--view",
        "view-payments",
        "--drift",
        "--out",
        svg.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["drift"],
        serde_json::json!(["app-identity", "app-ledger", "app-onboarding"])
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    for drifted in ["vp-id", "vp-ledger"] {
        assert!(
            text.contains(&format!("<g data-node=\"{drifted}\" data-drift=\"true\">")),
            "{drifted}"
        );
    }
    assert!(
        text.contains("<g data-node=\"vp-pay\">"),
        "payments is deployed"
    );
}
