//! Vulnerability reports: Trivy JSON (schema version 2), Grype JSON, OSV (osv-scanner output and
//! single OSV records).

use serde_json::Value;

use crate::error::{IngestError, Result};
use crate::facts::{Component, Facts, Finding, FindingKind, Scan};
use crate::severity::Severity;
use crate::util::{arr, fingerprint, s, strings};

#[allow(clippy::too_many_arguments)]
fn finding(
    kind: FindingKind,
    tool: &str,
    file: &str,
    vuln: Option<&str>,
    rule: Option<&str>,
    title: &str,
    (severity, raw, source): (Severity, String, &str),
) -> Finding {
    Finding {
        kind,
        tool: tool.into(),
        rule: rule.map(str::to_string),
        vulnerability: vuln.map(str::to_string),
        aliases: vec![],
        title: title.chars().take(200).collect(),
        severity,
        raw_severity: raw,
        severity_source: source.into(),
        path: None,
        line: None,
        package: None,
        version: None,
        purl: None,
        fixed_versions: vec![],
        fingerprint: String::new(),
        suppressed: None,
        waived_by: None,
        input: file.into(),
    }
}

/// Reads a Trivy JSON report.
pub fn read_trivy(file: &str, v: &Value, facts: &mut Facts) -> Result<()> {
    match v.get("SchemaVersion").and_then(Value::as_u64) {
        Some(2) => {}
        other => {
            return Err(IngestError::new(
                file,
                format!("Trivy report SchemaVersion {other:?} is not supported (expected 2)"),
            ));
        }
    }
    let mut scan = Scan {
        input: file.into(),
        tool: "trivy".into(),
        format: "trivy-json-2".into(),
        kind: FindingKind::Dependency,
        completed: true,
        problems: vec![],
        scanned_at: s(v, "CreatedAt").map(str::to_string),
        findings: 0,
    };
    let artifact = s(v, "ArtifactName").unwrap_or_default();
    for (ri, r) in arr(file, v, "Results")?.iter().enumerate() {
        let target = s(r, "Target").unwrap_or_default();
        for (i, x) in arr(file, r, "Vulnerabilities")?.iter().enumerate() {
            let id = s(x, "VulnerabilityID").ok_or_else(|| {
                IngestError::new(
                    file,
                    format!("Results[{ri}].Vulnerabilities[{i}] has no VulnerabilityID"),
                )
            })?;
            let raw = s(x, "Severity").unwrap_or("UNKNOWN");
            let mut f = finding(
                FindingKind::Dependency,
                "trivy",
                file,
                Some(id),
                None,
                s(x, "Title").unwrap_or(id),
                (Severity::from_word(raw), raw.into(), "trivy Severity"),
            );
            f.package = s(x, "PkgName").map(str::to_string);
            f.version = s(x, "InstalledVersion").map(str::to_string);
            f.purl = x
                .get("PkgIdentifier")
                .and_then(|p| s(p, "PURL"))
                .map(str::to_string);
            f.fixed_versions = s(x, "FixedVersion")
                .map(|fv| {
                    fv.split(',')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            f.path = Some(target.to_string());
            f.fingerprint = fingerprint(&[
                "trivy",
                artifact,
                target,
                id,
                f.package.as_deref().unwrap_or(""),
                f.version.as_deref().unwrap_or(""),
            ]);
            facts.findings.push(f);
            scan.findings += 1;
        }
        for x in arr(file, r, "Misconfigurations")? {
            if s(x, "Status") != Some("FAIL") {
                continue;
            }
            let id = s(x, "AVDID")
                .or_else(|| s(x, "ID"))
                .unwrap_or("misconfiguration");
            let raw = s(x, "Severity").unwrap_or("UNKNOWN");
            let mut f = finding(
                FindingKind::Misconfiguration,
                "trivy",
                file,
                None,
                Some(id),
                s(x, "Title").or_else(|| s(x, "Message")).unwrap_or(id),
                (Severity::from_word(raw), raw.into(), "trivy Severity"),
            );
            f.path = Some(target.to_string());
            f.fingerprint = fingerprint(&["trivy-misconfig", artifact, target, id]);
            facts.findings.push(f);
            scan.findings += 1;
        }
        for x in arr(file, r, "Secrets")? {
            let id = s(x, "RuleID").unwrap_or("secret");
            let mut f = finding(
                FindingKind::Secret,
                "trivy",
                file,
                None,
                Some(id),
                s(x, "Title").unwrap_or(id),
                (
                    Severity::High,
                    s(x, "Severity").unwrap_or("").into(),
                    "secret (always blocking)",
                ),
            );
            f.path = Some(target.to_string());
            f.line = x.get("StartLine").and_then(Value::as_u64);
            f.fingerprint =
                fingerprint(&["trivy-secret", target, id, &f.line.unwrap_or(0).to_string()]);
            facts.findings.push(f);
            scan.findings += 1;
        }
        for p in arr(file, r, "Packages")? {
            if let Some(name) = s(p, "Name") {
                let purl = p
                    .get("Identifier")
                    .and_then(|i| s(i, "PURL"))
                    .map(str::to_string);
                facts.components.push(Component {
                    name: name.into(),
                    version: s(p, "Version").map(str::to_string),
                    purl,
                    kind: "library".into(),
                    licenses: strings(p, "Licenses"),
                    input: file.into(),
                });
            }
        }
    }
    facts.scans.push(scan);
    Ok(())
}

/// Reads a Grype JSON report.
pub fn read_grype(file: &str, v: &Value, facts: &mut Facts) -> Result<()> {
    let d = v.get("descriptor");
    let mut scan = Scan {
        input: file.into(),
        tool: d.and_then(|d| s(d, "name")).unwrap_or("grype").into(),
        format: "grype-json".into(),
        kind: FindingKind::Dependency,
        completed: true,
        problems: vec![],
        scanned_at: d.and_then(|d| s(d, "timestamp")).map(str::to_string),
        findings: 0,
    };
    for (i, m) in arr(file, v, "matches")?.iter().enumerate() {
        let vul = m.get("vulnerability").ok_or_else(|| {
            IngestError::new(file, format!("matches[{i}] has no `vulnerability`"))
        })?;
        let id = s(vul, "id").ok_or_else(|| {
            IngestError::new(file, format!("matches[{i}].vulnerability has no `id`"))
        })?;
        let raw = s(vul, "severity").unwrap_or("Unknown");
        let mut f = finding(
            FindingKind::Dependency,
            "grype",
            file,
            Some(id),
            None,
            s(vul, "description").unwrap_or(id),
            (Severity::from_word(raw), raw.into(), "grype severity"),
        );
        let a = m.get("artifact");
        f.package = a.and_then(|a| s(a, "name")).map(str::to_string);
        f.version = a.and_then(|a| s(a, "version")).map(str::to_string);
        f.purl = a.and_then(|a| s(a, "purl")).map(str::to_string);
        f.path = a
            .and_then(|a| a.get("locations"))
            .and_then(Value::as_array)
            .and_then(|l| l.first())
            .and_then(|l| s(l, "path"))
            .map(str::to_string);
        // Only a `fixed` state means fix versions exist; an empty or unknown state is not "fixed".
        let fix = vul.get("fix");
        if fix.and_then(|x| s(x, "state")) == Some("fixed") {
            f.fixed_versions = fix.map(|x| strings(x, "versions")).unwrap_or_default();
        }
        f.aliases = arr(file, m, "relatedVulnerabilities")?
            .iter()
            .filter_map(|r| s(r, "id"))
            .filter(|r| *r != id)
            .map(str::to_string)
            .collect();
        f.fingerprint = fingerprint(&[
            "grype",
            id,
            f.package.as_deref().unwrap_or(""),
            f.version.as_deref().unwrap_or(""),
            f.path.as_deref().unwrap_or(""),
        ]);
        facts.findings.push(f);
        scan.findings += 1;
    }
    facts.scans.push(scan);
    Ok(())
}

fn osv_severity(group_max: Option<&str>, vulns: &[&Value]) -> (Severity, String, &'static str) {
    if let Some(score) = group_max.and_then(|m| m.parse::<f64>().ok()) {
        return (
            Severity::from_cvss(score),
            group_max.unwrap_or_default().to_string(),
            "osv-scanner max_severity (CVSS)",
        );
    }
    for v in vulns {
        if let Some(w) = v.get("database_specific").and_then(|d| s(d, "severity")) {
            return (
                Severity::from_word(w),
                w.to_string(),
                "osv database_specific.severity",
            );
        }
    }
    let vector = vulns.iter().find_map(|v| {
        v.get("severity")?
            .as_array()?
            .first()
            .and_then(|x| s(x, "score"))
    });
    (
        Severity::Unknown,
        vector.unwrap_or("").to_string(),
        "osv (no score)",
    )
}

/// Reads osv-scanner JSON output.
pub fn read_osv_scanner(file: &str, v: &Value, facts: &mut Facts) -> Result<()> {
    let mut scan = Scan {
        input: file.into(),
        tool: "osv-scanner".into(),
        format: "osv-scanner-json".into(),
        kind: FindingKind::Dependency,
        completed: true,
        problems: vec![],
        scanned_at: None,
        findings: 0,
    };
    for r in arr(file, v, "results")? {
        let source = r
            .get("source")
            .and_then(|x| s(x, "path"))
            .unwrap_or_default();
        for p in arr(file, r, "packages")? {
            let pkg = p.get("package");
            let vulns = arr(file, p, "vulnerabilities")?;
            let groups = arr(file, p, "groups")?;
            // One finding per group: ids in a group are aliases of one vulnerability.
            let grouped: Vec<(Vec<String>, Option<&str>)> = if groups.is_empty() {
                vulns
                    .iter()
                    .filter_map(|x| s(x, "id"))
                    .map(|id| (vec![id.to_string()], None))
                    .collect()
            } else {
                groups
                    .iter()
                    .map(|g| (strings(g, "ids"), s(g, "max_severity")))
                    .collect()
            };
            for (mut ids, max) in grouped {
                ids.sort();
                let Some(id) = ids.first().cloned() else {
                    continue;
                };
                let members: Vec<&Value> = vulns
                    .iter()
                    .filter(|x| s(x, "id").is_some_and(|i| ids.iter().any(|g| g == i)))
                    .collect();
                let title = members
                    .iter()
                    .find_map(|x| s(x, "summary"))
                    .unwrap_or(&id)
                    .to_string();
                let mut f = finding(
                    FindingKind::Dependency,
                    "osv-scanner",
                    file,
                    Some(&id),
                    None,
                    &title,
                    osv_severity(max, &members),
                );
                f.aliases = ids[1..].to_vec();
                for m in &members {
                    for a in strings(m, "aliases") {
                        if !f.aliases.contains(&a) && a != id {
                            f.aliases.push(a);
                        }
                    }
                }
                f.package = pkg.and_then(|x| s(x, "name")).map(str::to_string);
                f.version = pkg.and_then(|x| s(x, "version")).map(str::to_string);
                f.path = Some(source.to_string());
                f.fingerprint = fingerprint(&[
                    "osv",
                    &id,
                    f.package.as_deref().unwrap_or(""),
                    f.version.as_deref().unwrap_or(""),
                    source,
                ]);
                facts.findings.push(f);
                scan.findings += 1;
            }
        }
    }
    facts.scans.push(scan);
    Ok(())
}

/// Reads a single OSV vulnerability record: one finding per affected package.
pub fn read_osv_record(file: &str, v: &Value, facts: &mut Facts) -> Result<()> {
    let id = s(v, "id").ok_or_else(|| IngestError::new(file, "OSV record has no `id`"))?;
    let mut n = 0;
    for a in arr(file, v, "affected")? {
        let pkg = a.get("package");
        let mut f = finding(
            FindingKind::Dependency,
            "osv",
            file,
            Some(id),
            None,
            s(v, "summary").unwrap_or(id),
            osv_severity(None, &[v]),
        );
        f.aliases = strings(v, "aliases");
        f.package = pkg.and_then(|x| s(x, "name")).map(str::to_string);
        f.purl = pkg.and_then(|x| s(x, "purl")).map(str::to_string);
        for r in arr(file, a, "ranges")? {
            for e in arr(file, r, "events")? {
                if let Some(fx) = s(e, "fixed") {
                    f.fixed_versions.push(fx.to_string());
                }
            }
        }
        f.fingerprint = fingerprint(&["osv", id, f.package.as_deref().unwrap_or("")]);
        facts.findings.push(f);
        n += 1;
    }
    facts.scans.push(Scan {
        input: file.into(),
        tool: "osv".into(),
        format: "osv-record".into(),
        kind: FindingKind::Dependency,
        completed: true,
        problems: vec![],
        scanned_at: s(v, "modified").map(str::to_string),
        findings: n,
    });
    Ok(())
}
