//! Secret scanners: gitleaks JSON reports (and baselines) and detect-secrets baselines. The
//! secret text is never copied into the facts: only where it is and which rule found it.

use serde_json::Value;

use crate::error::{IngestError, Result};
use crate::facts::{Facts, Finding, FindingKind, Scan};
use crate::severity::Severity;
use crate::util::{fingerprint, s};

fn secret(
    tool: &str,
    file: &str,
    rule: &str,
    title: &str,
    path: Option<&str>,
    line: Option<u64>,
    fp: String,
) -> Finding {
    Finding {
        kind: FindingKind::Secret,
        tool: tool.into(),
        rule: Some(rule.into()),
        vulnerability: None,
        aliases: vec![],
        title: title.into(),
        severity: Severity::High,
        raw_severity: String::new(),
        severity_source: "secret (always blocking)".into(),
        path: path.map(str::to_string),
        line,
        package: None,
        version: None,
        purl: None,
        fixed_versions: vec![],
        fingerprint: fp,
        suppressed: None,
        waived_by: None,
        input: file.into(),
    }
}

/// Reads a gitleaks JSON report: an array of findings (`[]` is a clean scan).
pub fn read_gitleaks(file: &str, v: &Value, facts: &mut Facts) -> Result<()> {
    let items = v.as_array().ok_or_else(|| {
        IngestError::new(
            file,
            "not a gitleaks JSON report: expected an array of findings",
        )
    })?;
    for (i, x) in items.iter().enumerate() {
        let rule = s(x, "RuleID").ok_or_else(|| {
            IngestError::new(
                file,
                format!("finding {i} has no `RuleID`: not a gitleaks JSON report"),
            )
        })?;
        let path = s(x, "File");
        let line = x.get("StartLine").and_then(Value::as_u64);
        let fp = s(x, "Fingerprint").map(str::to_string).unwrap_or_else(|| {
            fingerprint(&[
                "gitleaks",
                rule,
                path.unwrap_or(""),
                &line.unwrap_or(0).to_string(),
                s(x, "Commit").unwrap_or(""),
            ])
        });
        facts.findings.push(secret(
            "gitleaks",
            file,
            rule,
            s(x, "Description").unwrap_or(rule),
            path,
            line,
            fp,
        ));
    }
    facts.scans.push(Scan {
        input: file.into(),
        tool: "gitleaks".into(),
        format: "gitleaks-json".into(),
        kind: FindingKind::Secret,
        completed: true,
        problems: vec![],
        scanned_at: None,
        findings: items.len(),
    });
    Ok(())
}

/// Reads a detect-secrets baseline (0.12 and later, 1.x). Entries audited as `is_secret: false`
/// are marked inactive; unaudited entries stay active.
pub fn read_detect_secrets(file: &str, v: &Value, facts: &mut Facts) -> Result<()> {
    let ver = s(v, "version").unwrap_or_default();
    let major_minor: Vec<u32> = ver
        .split('.')
        .take(2)
        .filter_map(|p| p.parse().ok())
        .collect();
    let supported =
        matches!(major_minor[..], [1, _]) || matches!(major_minor[..], [0, m] if m >= 12);
    if !supported {
        return Err(IngestError::new(
            file,
            format!(
                "unsupported detect-secrets baseline version {ver:?} (supported: 0.12 and later)"
            ),
        ));
    }
    let results = v
        .get("results")
        .and_then(Value::as_object)
        .ok_or_else(|| IngestError::new(file, "detect-secrets baseline has no `results` object"))?;
    let mut n = 0;
    for (path, entries) in results {
        let entries = entries
            .as_array()
            .ok_or_else(|| IngestError::new(file, format!("results[{path:?}] must be an array")))?;
        for e in entries {
            let ty = s(e, "type").unwrap_or("secret");
            let line = e.get("line_number").and_then(Value::as_u64);
            let fp = fingerprint(&[
                "detect-secrets",
                path,
                ty,
                s(e, "hashed_secret").unwrap_or(""),
            ]);
            let mut f = secret("detect-secrets", file, ty, ty, Some(path), line, fp);
            if e.get("is_secret") == Some(&Value::Bool(false)) {
                f.suppressed = Some("audited in the baseline: not a secret".into());
            }
            facts.findings.push(f);
            n += 1;
        }
    }
    facts.scans.push(Scan {
        input: file.into(),
        tool: "detect-secrets".into(),
        format: format!("detect-secrets-{ver}"),
        kind: FindingKind::Secret,
        completed: true,
        problems: vec![],
        scanned_at: s(v, "generated_at").map(str::to_string),
        findings: n,
    });
    Ok(())
}
