//! What `check` reports: the rule, whether it blocks the submission, where (file or template,
//! row, column code) and what to do about it.

use serde::Serialize;

/// How the authority treats a breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A technical check that rejects the file (805–808, 505, and the package's structure).
    Blocking,
    /// An EBA validation rule or data-quality check: feedback, not rejection.
    Warning,
    /// Plumbline's own cross-check against the architecture and the evidence.
    Advice,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule: an EBA check number (`807`), an EBA validation rule (`v8866_m`), the
    /// foreign key's rule (`807 R19`), or Plumbline's (`PLUMB-ROI-001`).
    pub rule: String,
    /// Blocking, warning or advice.
    pub severity: Severity,
    /// The template (`B_02.02`) or the package file the finding is about.
    pub template: String,
    /// The data row, 1 for the first row after the header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The column code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl Finding {
    /// A finding about a whole file or template.
    pub fn new(rule: &str, severity: Severity, template: &str, message: String, fix: &str) -> Self {
        Finding {
            rule: rule.to_string(),
            severity,
            template: template.to_string(),
            row: None,
            column: None,
            message,
            fix: fix.to_string(),
        }
    }

    /// The same finding at a row and column.
    pub fn at(mut self, row: usize, column: &str) -> Self {
        self.row = Some(row);
        self.column = Some(column.to_string());
        self
    }

    /// Where, as a person reads it: `B_02.02 row 3 c0010`.
    pub fn place(&self) -> String {
        let mut s = self.template.clone();
        if let Some(r) = self.row {
            s.push_str(&format!(" row {r}"));
        }
        if let Some(c) = &self.column {
            s.push_str(&format!(" {c}"));
        }
        s
    }
}

/// Whether any finding blocks the submission.
pub fn blocks(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Blocking)
}

/// Findings as a SARIF 2.1.0 log about `artifact` (the package or register file), each
/// located by template, row and column as a logical location.
pub fn sarif(findings: &[Finding], artifact: &str) -> serde_json::Value {
    use serde_json::json;
    let mut ids: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    ids.sort();
    ids.dedup();
    let rules: Vec<_> = ids
        .iter()
        .map(|id| json!({"id": id, "properties": {"tags": ["DORA", "register-of-information"]}}))
        .collect();
    let results: Vec<_> = findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule,
                "level": match f.severity { Severity::Blocking => "error", Severity::Warning => "warning", Severity::Advice => "note" },
                "message": {"text": format!("{}: {} (fix: {})", f.place(), f.message, f.fix)},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": artifact}},
                    "logicalLocations": [{"name": f.place(), "kind": "object"}],
                }],
            })
        })
        .collect();
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "plumb register check", "informationUri": "https://plumbline.dev", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}, "results": results}],
    })
}
