//! Small, realistic gate inputs in the formats the real tools write, for demos and tests.

use chrono::{DateTime, Utc};
use serde_json::json;

/// The commit the samples describe.
pub const COMMIT: &str = "3f2a9c1d0b8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a";

/// A bandit-style SARIF log with one result at `level` for `rule`.
pub fn sarif(level: &str, rule: &str) -> String {
    json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "bandit", "rules": [{"id": rule}]}},
        "results": [{"ruleId": rule, "level": level, "message": {"text": "subprocess call with shell=True"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/payments.py"}, "region": {"startLine": 12}}}]}]}]}).to_string()
}

/// A JUnit suite of 10 cases, the first `failures` failing.
pub fn junit(failures: u32) -> String {
    let mut cases = String::new();
    for i in 0..10 {
        if i < failures {
            cases.push_str(&format!(
                "<testcase classname=\"t\" name=\"case{i}\"><failure message=\"boom\"/></testcase>"
            ));
        } else {
            cases.push_str(&format!("<testcase classname=\"t\" name=\"case{i}\"/>"));
        }
    }
    format!("<testsuite name=\"unit\">{cases}</testsuite>")
}

/// An LCOV tracefile with `covered` of `total` lines hit.
pub fn lcov(covered: u32, total: u32) -> String {
    let mut s = String::from("TN:\nSF:app/payments.py\n");
    for l in 1..=total {
        s.push_str(&format!("DA:{l},{}\n", u32::from(l <= covered)));
    }
    s.push_str("end_of_record\n");
    s
}

/// A CycloneDX 1.6 SBOM with one component.
pub fn sbom() -> String {
    json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"timestamp": "2026-11-20T10:00:00Z"},
        "components": [{"type": "library", "name": "requests", "version": "2.32.3", "purl": "pkg:pypi/requests@2.32.3"}]}).to_string()
}

/// A Trivy report scanned `age_days` before `now`, with one vulnerability of `severity`.
pub fn trivy(now: DateTime<Utc>, age_days: i64, severity: &str) -> String {
    let t = (now - chrono::Duration::days(age_days)).to_rfc3339();
    json!({"SchemaVersion": 2, "CreatedAt": t, "ArtifactName": "payments:1.4.0", "Results": [{"Target": "requirements.txt",
        "Vulnerabilities": [{"VulnerabilityID": "CVE-2024-35195", "PkgName": "requests", "InstalledVersion": "2.31.0", "FixedVersion": "2.32.0",
        "Severity": severity, "Title": "requests: session verify=False persists", "PkgIdentifier": {"PURL": "pkg:pypi/requests@2.31.0"}}]}]}).to_string()
}

/// Change metadata for [`COMMIT`] in `env`, with or without runbook and rollback plan.
pub fn change(env: &str, runbook: bool) -> String {
    let mut c = json!({"author": "jmeyer", "commit": COMMIT, "environment": env, "change_id": "CHG-4711",
        "changed_paths": ["app/payments.py", "tests/test_payments.py"]});
    if runbook {
        c["runbook"] = json!("https://wiki.bank.example/runbooks/payments");
        c["rollback_plan"] = json!("https://wiki.bank.example/runbooks/payments#rollback");
    }
    c.to_string()
}

/// Approvals of [`COMMIT`]: independent code owner and security reviewer, or only the author.
pub fn approvals(by_author_only: bool) -> String {
    if by_author_only {
        return json!([{"by": "jmeyer", "roles": ["code-owner", "security-reviewer"], "at": "2026-11-21T08:00:00Z", "commit": COMMIT}]).to_string();
    }
    json!([{"by": "akowalski", "roles": ["code-owner"], "at": "2026-11-21T08:00:00Z", "commit": COMMIT},
           {"by": "sec-lina", "roles": ["security-reviewer"], "at": "2026-11-21T08:10:00Z", "commit": COMMIT}]).to_string()
}
