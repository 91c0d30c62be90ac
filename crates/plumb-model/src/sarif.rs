//! Findings as SARIF 2.1.0, so model checks and drift show up in code-scanning views.

use serde_json::{Value, json};

use crate::check::{Finding, Level};

/// A SARIF log for findings about `artifact` (the model file).
pub fn to_sarif(findings: &[Finding], artifact: &str) -> Value {
    let mut rule_ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    rule_ids.sort();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let refs: Vec<&str> = findings
                .iter()
                .filter(|f| f.id == *id)
                .flat_map(|f| f.refs.iter().map(String::as_str))
                .collect();
            json!({"id": id, "properties": {"tags": ["DORA"], "references": refs}})
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut loc = json!({"physicalLocation": {"artifactLocation": {"uri": artifact}}});
            if let Some(l) = f.line {
                loc["physicalLocation"]["region"] = json!({"startLine": l});
            }
            loc["logicalLocations"] = json!(
                f.elements
                    .iter()
                    .map(|e| json!({"name": e, "kind": "element"}))
                    .collect::<Vec<_>>()
            );
            json!({
                "ruleId": f.id,
                "level": match f.level { Level::Error => "error", Level::Warning => "warning" },
                "message": {"text": format!("{} ({})", f.message, f.refs.join("; "))},
                "locations": [loc],
            })
        })
        .collect();
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "plumb model", "informationUri": "https://plumbline.dev", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}, "results": results}],
    })
}
