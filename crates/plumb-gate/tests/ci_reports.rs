//! The decision in CI platforms' formats: SARIF validated against the OASIS SARIF 2.1.0 schema
//! (fetched by scripts/sarif-schema), GitHub workflow commands escaped as GitHub reads them,
//! and GitLab's Code Quality report. A decision with a located code finding, an infrastructure
//! violation and a warning goes through each.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use plumb_gate::ci_reports::{github_annotations, gitlab_codequality, sarif};
use plumb_gate::samples::{approvals, change, junit, lcov, sbom, trivy};
use plumb_gate::{Decision, GateConfig, GateRequest, evaluate};
use plumb_ingest::Kind;

/// A SARIF input with one high finding at a known place.
fn located_finding() -> String {
    json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep", "rules": [{"id": "sql-injection"}]}},
        "results": [{"ruleId": "sql-injection", "level": "error", "message": {"text": "user input in a query"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/db.py"}, "region": {"startLine": 42}}}]}]}]})
    .to_string()
}

fn decision() -> Decision {
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 30, 0).unwrap();
    let plan = json!({"format_version": "1.2", "resource_changes": [{"address": "aws_s3_bucket.b", "type": "aws_s3_bucket",
        "provider_name": "aws", "change": {"actions": ["create"], "after": {"acl": "private", "tags": {"plumb:data-classification": "internal"}}}}]});
    let d = evaluate(&GateRequest {
        config: GateConfig {
            system: Some("payments".into()),
            criticality: "important".into(),
            ..Default::default()
        },
        inputs: vec![
            (
                Kind::Sast,
                "semgrep.sarif".into(),
                located_finding().into_bytes(),
            ),
            (Kind::Tests, "junit.xml".into(), junit(0).into_bytes()),
            (
                Kind::Coverage,
                "lcov.info".into(),
                lcov(85, 100).into_bytes(),
            ),
            (Kind::Sbom, "sbom.json".into(), sbom().into_bytes()),
            (
                Kind::Vulns,
                "trivy.json".into(),
                trivy(now, 1, "MEDIUM").into_bytes(),
            ),
            (
                Kind::Change,
                "change.json".into(),
                change("production", true).into_bytes(),
            ),
            (
                Kind::Approvals,
                "approvals.json".into(),
                approvals(false).into_bytes(),
            ),
            (
                Kind::Infra,
                "plan.json".into(),
                plan.to_string().into_bytes(),
            ),
        ],
        waivers: vec![],
        policies: vec![],
        now,
        break_glass: None,
        origin: None,
    });
    assert!(d.error.is_none(), "{:?}", d.error);
    d
}

fn schema() -> Option<Value> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/schemas/sarif-schema-2.1.0.json");
    match std::fs::read(&p) {
        Ok(b) => Some(serde_json::from_slice(&b).expect("the schema is JSON")),
        Err(_) => {
            assert!(
                std::env::var("PLUMB_REQUIRE_CORPUS").as_deref() != Ok("1"),
                "{} is missing: run scripts/sarif-schema",
                p.display()
            );
            eprintln!(
                "notice: {} is missing (scripts/sarif-schema fetches it); SARIF schema check skipped",
                p.display()
            );
            None
        }
    }
}

#[test]
fn sarif_output_validates_and_locates_each_result() {
    let d = decision();
    let ids: Vec<&str> = d.violations.iter().map(|v| v.id.as_str()).collect();
    assert!(
        ids.contains(&"DORA-VULN-001") && ids.contains(&"DORA-INFRA-004"),
        "{ids:?}"
    );
    let text = sarif(&d);
    let log: Value = serde_json::from_str(&text).unwrap();
    if let Some(mut schema) = schema() {
        // The OASIS file's `language` patterns have a stray `]` that validators refuse when
        // they check the schema itself; Plumbline never writes `language`, so the pattern is
        // replaced by its evident intent (two letters, optionally a region) before compiling.
        fn fix(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m.iter_mut() {
                        if k == "pattern" && x == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                            *x = json!("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
                        } else {
                            fix(x);
                        }
                    }
                }
                Value::Array(a) => a.iter_mut().for_each(fix),
                _ => {}
            }
        }
        fix(&mut schema);
        let v = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .build(&schema)
            .unwrap();
        let errors: Vec<String> = v
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        // The check is real: a level SARIF does not have is refused.
        let mut bad = log.clone();
        bad["runs"][0]["results"][0]["level"] = json!("fatal");
        assert!(!v.is_valid(&bad));
    }
    let run = &log["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), d.violations.len() + d.warnings.len());
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    let vuln = results
        .iter()
        .find(|r| r["ruleId"] == "DORA-VULN-001")
        .unwrap();
    assert_eq!(vuln["level"], "error");
    let phys = &vuln["locations"][0]["physicalLocation"];
    assert_eq!(
        (
            phys["artifactLocation"]["uri"].as_str(),
            phys["region"]["startLine"].as_u64()
        ),
        (Some("app/db.py"), Some(42))
    );
    let infra = results
        .iter()
        .find(|r| r["ruleId"] == "DORA-INFRA-004")
        .unwrap();
    assert_eq!(
        infra["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "aws_s3_bucket.b"
    );
    let rule = rules.iter().find(|r| r["id"] == "DORA-INFRA-004").unwrap();
    assert!(
        rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains("DORA Art. 12"),
        "{rule:#}"
    );
    assert!(
        rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("security"))
    );
    assert_eq!(run["properties"]["outcome"], "deny");
    // Same decision, same bytes.
    assert_eq!(text, sarif(&decision()));
}

#[test]
fn github_annotations_are_escaped_workflow_commands() {
    let mut d = decision();
    let out = github_annotations(&d);
    assert!(
        out.lines()
            .any(|l| l.starts_with("::error title=DORA-VULN-001,file=app/db.py,line=42::")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("::error title=DORA-INFRA-004::")),
        "{out}"
    );
    assert!(out.ends_with(&format!(
        "::notice title=plumb gate::DENY {} violation(s), {} warning(s)\n",
        d.violations.len(),
        d.warnings.len()
    )));
    // A message cannot start a command of its own: newlines and % are escaped.
    d.violations.truncate(1);
    d.violations[0].msg = "100% bad\n::error::forged".into();
    d.violations[0].path = Some("a,b:c.py".into());
    let out = github_annotations(&d);
    let first = out.lines().next().unwrap();
    assert!(first.contains("100%25 bad%0A::error::forged"), "{first}");
    assert!(first.contains("file=a%2Cb%3Ac.py"), "{first}");
    assert_eq!(out.lines().count(), 2 + d.warnings.len());
}

#[test]
fn gitlab_code_quality_issues_have_what_gitlab_needs() {
    let d = decision();
    let issues: Vec<Value> =
        serde_json::from_str(&gitlab_codequality(&d, "ci/plumb-gate.yaml")).unwrap();
    assert_eq!(issues.len(), d.violations.len() + d.warnings.len());
    for i in &issues {
        for k in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[k].is_string(), "{k}: {i:#}");
        }
        assert!(i["location"]["path"].is_string() && i["location"]["lines"]["begin"].is_u64());
        assert!(["blocker", "major", "minor"].contains(&i["severity"].as_str().unwrap()));
    }
    let vuln = issues
        .iter()
        .find(|i| i["check_name"] == "DORA-VULN-001")
        .unwrap();
    assert_eq!(
        (
            vuln["location"]["path"].as_str(),
            vuln["location"]["lines"]["begin"].as_u64()
        ),
        (Some("app/db.py"), Some(42))
    );
    let infra = issues
        .iter()
        .find(|i| i["check_name"] == "DORA-INFRA-004")
        .unwrap();
    assert_eq!(infra["location"]["path"], "ci/plumb-gate.yaml");
    let mut fps: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), issues.len(), "fingerprints are unique");
}
