//! SARIF 2.1.0: static analysis (and secret or vulnerability scanners that write SARIF).
//!
//! Level: the result's `level`, else the rule's `defaultConfiguration.level` (rule found by
//! `ruleIndex` first, then by id), else `warning`. Severity per the table in [`crate::severity`].
//! A result is inactive when a suppression is accepted (or has no status) or its `baselineState`
//! is `absent`. A run whose invocation says `executionSuccessful: false` is an incomplete scan.

use serde_json::Value;

use crate::error::{IngestError, Result};
use crate::facts::{Facts, Finding, FindingKind, Scan};
use crate::severity::Severity;
use crate::util::{arr, fingerprint, s};

/// What a tool's name says its findings are.
pub fn kind_of_tool(tool: &str) -> FindingKind {
    let t = tool.to_ascii_lowercase();
    if ["gitleaks", "trufflehog", "detect-secrets", "secret"]
        .iter()
        .any(|k| t.contains(k))
    {
        FindingKind::Secret
    } else if [
        "trivy",
        "grype",
        "osv",
        "dependabot",
        "snyk",
        "pip-audit",
        "npm audit",
    ]
    .iter()
    .any(|k| t.contains(k))
    {
        FindingKind::Dependency
    } else if ["checkov", "kics", "tfsec", "terrascan", "hadolint"]
        .iter()
        .any(|k| t.contains(k))
    {
        FindingKind::Misconfiguration
    } else {
        FindingKind::Sast
    }
}

fn cvss_property(props: Option<&Value>) -> Option<(f64, String)> {
    let v = props?.get("security-severity")?;
    let raw = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    raw.trim().parse::<f64>().ok().map(|f| (f, raw))
}

fn message(result: &Value, rule: Option<&Value>) -> String {
    let m = result.get("message");
    if let Some(t) = m.and_then(|m| s(m, "text")) {
        return t.to_string();
    }
    let id = m.and_then(|m| s(m, "id"));
    let template = id
        .and_then(|id| rule?.get("messageStrings")?.get(id))
        .and_then(|t| s(t, "text"));
    match (template, id) {
        (Some(t), _) => {
            let mut out = t.to_string();
            for (i, a) in m
                .and_then(|m| m.get("arguments"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                out = out.replace(&format!("{{{i}}}"), a.as_str().unwrap_or_default());
            }
            out
        }
        (None, Some(id)) => format!("(message {id})"),
        (None, None) => String::new(),
    }
}

/// Reads one SARIF log into `facts`.
pub fn read(file: &str, v: &Value, facts: &mut Facts) -> Result<()> {
    match v.get("version").and_then(Value::as_str) {
        Some("2.1.0") => {}
        Some(other) => {
            return Err(IngestError::new(
                file,
                format!("SARIF version {other} is not supported (expected 2.1.0)"),
            ));
        }
        None => return Err(IngestError::new(file, "not a SARIF log: no `version`")),
    }
    for (n, run) in arr(file, v, "runs")?.iter().enumerate() {
        read_run(file, n, run, facts)?;
    }
    Ok(())
}

/// One run: its tool, whether it completed, and its results.
fn read_run(file: &str, n: usize, run: &Value, facts: &mut Facts) -> Result<()> {
    // SARIF 2.1.0 requires runs[].tool.driver: a log without it cannot say which scanner ran
    // or whether it ran at all, so it is refused rather than read as a clean scan.
    let Some(driver) = run.get("tool").and_then(|t| t.get("driver")) else {
        return Err(IngestError::new(
            file,
            format!(
                "runs[{n}].tool.driver is missing (required by SARIF 2.1.0): which tool produced this log?"
            ),
        ));
    };
    let tool = s(driver, "name")
        .unwrap_or("unknown SARIF tool")
        .to_string();
    let rules = arr(file, driver, "rules")?;
    let kind = kind_of_tool(&tool);
    let mut scan = run_scan(file, run, &tool, kind)?;
    for (n, r) in arr(file, run, "results")?.iter().enumerate() {
        if matches!(
            s(r, "kind"),
            Some("pass" | "notApplicable" | "informational")
        ) {
            continue;
        }
        facts
            .findings
            .push(result_finding(file, n, r, rules, &tool, kind)?);
        scan.findings += 1;
    }
    facts.scans.push(scan);
    Ok(())
}

/// The scan a run describes: completed unless an invocation says it failed (with the tool's
/// notifications as the problems), and when it ran.
fn run_scan(file: &str, run: &Value, tool: &str, kind: FindingKind) -> Result<Scan> {
    let mut scan = Scan {
        input: file.to_string(),
        tool: tool.to_string(),
        format: "sarif-2.1.0".into(),
        kind,
        completed: true,
        problems: vec![],
        scanned_at: None,
        findings: 0,
    };
    for inv in arr(file, run, "invocations")? {
        if inv.get("executionSuccessful") == Some(&Value::Bool(false)) {
            scan.completed = false;
            for key in [
                "toolExecutionNotifications",
                "toolConfigurationNotifications",
            ] {
                for n in arr(file, inv, key)? {
                    if let Some(t) = n.get("message").and_then(|m| s(m, "text")) {
                        scan.problems.push(t.to_string());
                    }
                }
            }
            if scan.problems.is_empty() {
                scan.problems
                    .push("the tool reports that it did not run successfully".into());
            }
        }
        if let Some(t) = s(inv, "endTimeUtc").or_else(|| s(inv, "startTimeUtc")) {
            scan.scanned_at = Some(t.to_string());
        }
    }
    Ok(scan)
}

/// A result's severity, its raw value and where it came from: a CVSS `security-severity`
/// (result, else rule), else Bandit's `issue_severity`, else the SARIF level. Secrets always
/// block.
fn result_severity(
    r: &Value,
    rule: Option<&Value>,
    level: &str,
    kind: FindingKind,
) -> (Severity, String, &'static str) {
    let (severity, raw, source) = if let Some((score, raw)) = cvss_property(r.get("properties"))
        .or_else(|| cvss_property(rule.and_then(|x| x.get("properties"))))
    {
        (Severity::from_cvss(score), raw, "sarif security-severity")
    } else if let Some(b) = r.get("properties").and_then(|p| s(p, "issue_severity")) {
        (
            Severity::from_word(b),
            b.to_string(),
            "bandit issue_severity",
        )
    } else {
        (
            Severity::from_sarif_level(level),
            level.to_string(),
            "sarif level",
        )
    };
    if kind == FindingKind::Secret {
        (Severity::High, raw, "secret (always blocking)")
    } else {
        (severity, raw, source)
    }
}

/// Why a result is inactive: an accepted (or unqualified) suppression, or a baseline state of
/// `absent`. Visible when there is no suppression, or every one is rejected, or every one is
/// still under review.
fn result_suppression(file: &str, r: &Value) -> Result<Option<String>> {
    let suppressions = arr(file, r, "suppressions")?;
    if s(r, "baselineState") == Some("absent") {
        return Ok(Some(
            "SARIF baselineState absent (no longer present)".into(),
        ));
    }
    let statuses: Vec<Option<&str>> = suppressions.iter().map(|x| s(x, "status")).collect();
    let visible = statuses.is_empty()
        || statuses.iter().all(|st| *st == Some("rejected"))
        || statuses.iter().all(|st| *st == Some("underReview"));
    Ok((!visible).then(|| {
        let kinds: Vec<&str> = suppressions.iter().filter_map(|x| s(x, "kind")).collect();
        format!(
            "SARIF suppression ({})",
            if kinds.is_empty() {
                "unspecified".into()
            } else {
                kinds.join(", ")
            }
        )
    }))
}

/// The fingerprint the tool gave (the first key of `partialFingerprints`, else of
/// `fingerprints`, in sorted order).
fn given_fingerprint(r: &Value) -> Option<String> {
    ["partialFingerprints", "fingerprints"]
        .iter()
        .find_map(|k| {
            let o = r.get(*k)?.as_object()?;
            let (key, v) = o.iter().min_by_key(|(key, _)| *key)?;
            v.as_str().map(|v| format!("{key}:{v}"))
        })
}

/// One result as a finding.
fn result_finding(
    file: &str,
    n: usize,
    r: &Value,
    rules: &[Value],
    tool: &str,
    kind: FindingKind,
) -> Result<Finding> {
    let by_index = r
        .get("ruleIndex")
        .and_then(Value::as_u64)
        .and_then(|i| rules.get(usize::try_from(i).ok()?));
    let rule_id = s(r, "ruleId")
        .or_else(|| r.get("rule").and_then(|x| s(x, "id")))
        .or_else(|| by_index.and_then(|x| s(x, "id")));
    let rule =
        by_index.or_else(|| rule_id.and_then(|id| rules.iter().find(|x| s(x, "id") == Some(id))));
    let level = s(r, "level")
        .or_else(|| {
            rule.and_then(|x| x.get("defaultConfiguration"))
                .and_then(|c| s(c, "level"))
        })
        .unwrap_or("warning");
    let (severity, raw, source) = result_severity(r, rule, level, kind);
    let loc = r
        .get("locations")
        .and_then(Value::as_array)
        .and_then(|l| l.first())
        .and_then(|l| l.get("physicalLocation"));
    let path = loc
        .and_then(|p| p.get("artifactLocation"))
        .and_then(|a| s(a, "uri"))
        .map(str::to_string);
    let line = loc
        .and_then(|p| p.get("region"))
        .and_then(|g| g.get("startLine"))
        .and_then(Value::as_u64);
    let title = message(r, rule);
    let line_s = line.map(|l| l.to_string()).unwrap_or_default();
    Ok(Finding {
        kind,
        tool: tool.to_string(),
        rule: rule_id.map(str::to_string),
        vulnerability: (kind == FindingKind::Dependency)
            .then(|| rule_id.map(str::to_string))
            .flatten(),
        aliases: vec![],
        title: if title.is_empty() {
            rule_id.unwrap_or("result").to_string()
        } else {
            title
        },
        severity,
        raw_severity: raw,
        severity_source: source.into(),
        fingerprint: given_fingerprint(r).unwrap_or_else(|| {
            fingerprint(&[
                tool,
                rule_id.unwrap_or(""),
                path.as_deref().unwrap_or(""),
                &line_s,
                &n.to_string(),
            ])
        }),
        path,
        line,
        package: None,
        version: None,
        purl: None,
        fixed_versions: vec![],
        suppressed: result_suppression(file, r)?,
        waived_by: None,
        input: file.to_string(),
    })
}
